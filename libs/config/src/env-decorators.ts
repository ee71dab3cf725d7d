import { Expose, Transform } from 'class-transformer';

// Small helpers so that each setting reads as one line: where it comes from and how it parses.

/** Exposes an environment variable under the property, optionally renamed. */
export const Env = (name: string) => Expose({ name });

export const ToInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));

export const ToBool = () =>
  Transform(({ value }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return value;
  });
