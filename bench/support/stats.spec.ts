import { ascending, mean, median, percentile, percentileOf, round } from './stats';

describe('bench statistics', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes nearest-rank percentiles of sorted values', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([4], 99)).toBe(4);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });

  it('sorts for percentileOf without changing its input', () => {
    const values = [3, 1, 2];
    expect(percentileOf(values, 50)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
    expect(ascending([10, 9, 100])).toEqual([9, 10, 100]);
  });

  it('answers the median and the mean', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });

  it('rounds to a number of digits', () => {
    expect(round(1.23456, 2)).toBe(1.23);
    expect(round(2.5)).toBe(3);
  });
});
