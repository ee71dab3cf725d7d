import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** Thrown at boot when the environment is wrong; its message lists every problem and its fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type ConfigClass<T> = new () => T;

export interface ConfigCheck {
  /** Extra cross-field checks, run after the decorators: return problems to report. */
  checkConfig?(): string[];
}

function flatten(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}),
    ...flatten(e.children ?? []),
  ]);
}

function validateOne<T extends object>(cls: ConfigClass<T>, env: NodeJS.ProcessEnv): { value: T; problems: string[] } {
  // Empty strings count as unset, so `FOO=` in a compose file falls back to the default.
  const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const value = plainToInstance(cls, plain, { exposeDefaultValues: true, excludeExtraneousValues: true });
  const problems = flatten(validateSync(value, { forbidUnknownValues: false }));
  const check = (value as ConfigCheck).checkConfig;
  if (problems.length === 0 && typeof check === 'function') problems.push(...check.call(value));
  return { value, problems };
}

/** Reads and validates one config class from the environment, or throws ConfigError. */
export function loadConfig<T extends object>(cls: ConfigClass<T>, env: NodeJS.ProcessEnv = process.env): T {
  const { value, problems } = validateOne(cls, env);
  if (problems.length) throw new ConfigError(problems);
  return value;
}

/** Validates several config classes at once so that boot reports every problem in one go. */
export function assertConfig(classes: ConfigClass<object>[], env: NodeJS.ProcessEnv = process.env): void {
  const problems = classes.flatMap((cls) => validateOne(cls, env).problems);
  if (problems.length) throw new ConfigError([...new Set(problems)]);
}
