// The C reference for bench/attribution.ts: libdivsufsort's suffix array of a file, one core.
// Prints the seconds divsufsort() took: wall clock, then this process's CPU time. Built by the bench when libdivsufsort's header is there
// (Debian: apt-get install libdivsufsort-dev).
#include <divsufsort.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <file>\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  sauchar_t *text = malloc(n);
  saidx_t *sa = malloc((size_t)n * sizeof(saidx_t));
  if (!text || !sa || fread(text, 1, n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  struct timespec a, b, ca, cb;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
  if (divsufsort(text, sa, n) != 0) {
    fprintf(stderr, "divsufsort failed\n");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
  printf("%.6f %.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, (cb.tv_sec - ca.tv_sec) + (cb.tv_nsec - ca.tv_nsec) / 1e9);
  return 0;
}
