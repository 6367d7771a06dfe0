/* placeholder */
#include "harness.h"
int main(void) { static const lc_test_case cases[] = {{NULL, NULL}}; return lc_test_main("lconv", cases); }
