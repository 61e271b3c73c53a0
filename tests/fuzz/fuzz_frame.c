/*
 * fuzz_frame.c - the frame reader's fuzzer (tests/test_fuzz_frame.c) as a
 * libFuzzer target: frame_peek and frame_decode on a stream of bytes, with
 * its properties (re-encoding is stable, no body above the cap) failing hard.
 */
#define TX_LIBFUZZER 1
#include "../test_fuzz_frame.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	strict = 1;   /* as test_fuzz_frame's main: the bugs it reported are fixed */
	return 0;
}
