import { IsString, MinLength } from 'class-validator';
import { Env } from './env-decorators';

/** The web client the all-in-one suite serves at `/` (built by `npm run build:web`). */
export class WebConfig {
  /** Directory of the built client (index.html and assets/), relative to the working directory. */
  @Env('WEB_CLIENT_DIR') @IsString()
  @MinLength(1, { message: 'WEB_CLIENT_DIR must name a directory, e.g. WEB_CLIENT_DIR=./dist/web' })
  clientDir: string = './dist/web';
}
