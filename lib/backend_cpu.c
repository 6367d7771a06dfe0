/* backend_cpu.c — registers the backends; the only file where LC_HAVE_CUDA may appear. */
#include "backend.h"
