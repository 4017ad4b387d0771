/*
 * bug: the one way to stop on an internal bug (a broken invariant, never bad
 * input: input errors are GErrors that name the file and line).  Like the
 * kernel's BUG_ON, it names the source file, the line and the invariant
 * that failed, then aborts so that a debugger or a core dump has the stack:
 *
 *	models/port.c:412: BUG: b->owners == 0
 */
#ifndef CONNSIM_BUG_H
#define CONNSIM_BUG_H

/* Prints "FILE:LINE: BUG: WHAT" on stderr and aborts. */
_Noreturn void bug_report(const char *file, int line, const char *what);

/* Stops when cond holds; the message is the condition as written. */
#define BUG_ON(cond)                                                   \
	do {                                                           \
		if (__builtin_expect(!!(cond), 0))                     \
			bug_report(__FILE__, __LINE__, #cond);         \
	} while (0)

/* Stops unconditionally, saying what should not have happened. */
#define BUG(what) bug_report(__FILE__, __LINE__, (what))

#endif
