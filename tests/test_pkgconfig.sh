#!/bin/sh
# test_pkgconfig.sh — lconv.pc links a program: against the shared library, and
# statically with every object of liblconv.a (Libs.private must name each library
# the archive calls: METIS, HDF5, FLANN, MPI, CUDA's runtime where built with them).
# Run by `make check` (LCNET set, LCONV_CC: the compiler with the build's CFLAGS and LDFLAGS). POSIX sh. Ends with "pkgconfig: N passed, N failed, N skipped".

suite=pkgconfig
. "$(dirname "$0")/examples.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
CC=${LCONV_CC:-cc}
[ -f "$build/lconv.pc" ] || skip "no lconv.pc beside lcnet ('$build')"
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config is not installed"
# the build tree as the installed prefix: the library in .libs, the header in the sources
pc() { PKG_CONFIG_PATH="$build" pkg-config --define-variable=libdir="$build/.libs" \
    --define-variable=includedir="$top/include" "$@" lconv; }

cat >"$T/prog.c" <<'PROG'
#include <lconv.h>
#include <stdio.h>
int main(void)
{
    lc_dataset_t *data = NULL;
    lc_model_t *model = NULL;
    if (lc_dataset_load(&data, "karate", NULL) || lc_model_from_spec(&model, "gcn:16,relu,gcn")) {
        fprintf(stderr, "%s\n", lc_last_error());
        return 1;
    }
    lc_train_config cfg = lc_train_defaults();
    cfg.epochs = 20;
    cfg.patience = 0;
    lc_train_result res;
    const lc_status st = lc_model_train(model, data, &cfg, &res);
    printf("status %d epochs %d\n", (int)st, res.epochs_run);
    lc_model_free(&model);
    lc_dataset_free(&data);
    return st != LC_OK;
}
PROG

# trains WHAT PROG: the linked program runs and trains its 20 epochs
trains() {
    run env LD_LIBRARY_PATH="$build/.libs" "$2"
    if [ "$rc" -eq 0 ] && grep -q '^status 0 epochs 20$' "$T/out"; then
        ok "$1 trains"
    else
        bad "$1 trains" "exit $rc: $(cat "$T/out")"
    fi
}

# shellcheck disable=SC2046
run $CC -o "$T/shared" "$T/prog.c" $(pc --cflags --libs)
if [ "$rc" -eq 0 ]; then
    trains "a program linked with \`pkg-config --libs lconv\`" "$T/shared"
else
    bad "linking with \`pkg-config --cflags --libs lconv\`" "exit $rc"
fi

if [ -f "$build/.libs/liblconv.a" ]; then
    # the whole archive: every object's references must resolve from lconv.pc's
    # Libs.private and its Requires.private modules' (shared) libraries.
    # `pkg-config --static` would also name those modules' own private libraries,
    # which Debian's igraph.pc lists for a static libigraph (glpk, arpack, plfit)
    private=$(sed -n 's/^Libs.private: //p' "$build/lconv.pc")
    requires=$(sed -n 's/^Requires.private: //p' "$build/lconv.pc")
    # shellcheck disable=SC2046,SC2086
    run $CC -o "$T/static" "$T/prog.c" $(pc --cflags) -Wl,--whole-archive "$build/.libs/liblconv.a" \
        -Wl,--no-whole-archive $private $(pkg-config --libs $requires)
    if [ "$rc" -eq 0 ]; then
        trains "the whole of liblconv.a, linked with lconv.pc's private libraries," "$T/static"
    else
        bad "linking the whole of liblconv.a with lconv.pc's private libraries" \
            "$(grep -m3 'undefined reference' "$T/err")"
    fi
else
    skip_case "no static library (configured with --disable-static)"
fi
finish
