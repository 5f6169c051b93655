/*
 * test_median.h - the benchmarks' one median (dependency `test_lib`): of
 * @n figures, sorted in place; of an even count, the mean of the middle
 * two; 0 of none.
 */
#ifndef TEST_MEDIAN_H
#define TEST_MEDIAN_H

double median_of(double *v, unsigned n);

#endif
