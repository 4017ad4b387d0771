/*
 * fuzz: what the libFuzzer targets under tests/fuzz/ share.  Each target
 * defines LLVMFuzzerTestOneInput, the one entry point that libFuzzer (make
 * fuzz, clang) and tests/fuzz/replay.c (make check, any compiler) feed.
 *
 * The loaders under test read files by path, as the commands do: the input
 * goes to one temporary file per process, rewritten for every input.
 */
#ifndef CONNSIM_TESTS_FUZZ_H
#define CONNSIM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The path of a temporary file (suffix: ".ini", ".conf") holding data;
 * valid until the next call.  Aborts when it cannot write: a broken test
 * machine, not an input the parsers reject. */
const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix);

/* data as a NUL-terminated string (bytes after an embedded NUL are cut, as
 * argv cuts them); g_free it. */
char *fuzz_str(const uint8_t *data, size_t size);

#endif
