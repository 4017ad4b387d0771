#include "sim/bug.h"

#include <stdio.h>
#include <stdlib.h>

void bug_report(const char *file, int line, const char *what)
{
	fflush(stdout);
	fprintf(stderr, "%s:%d: BUG: %s\n", file, line, what);
	abort();
}
