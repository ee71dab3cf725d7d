import { IsBoolean, IsString, MinLength } from 'class-validator';
import { Env, ToBool } from './env-decorators';

/** The web client the all-in-one suite serves at `/` (built by `npm run build:web`). */
export class WebConfig {
  /** Directory of the built client (index.html and assets/), relative to the working directory. */
  @Env('WEB_CLIENT_DIR') @IsString()
  @MinLength(1, { message: 'WEB_CLIENT_DIR must name a directory, e.g. WEB_CLIENT_DIR=./dist/web' })
  clientDir: string = './dist/web';

  /**
   * The development endpoints (/dev/..., development mode only) answer clients on this machine
   * only (a loopback address, no proxy in between), unless this is true: they hand anyone a token
   * for any user.
   */
  @Env('CHAT_DEV_ENDPOINTS_OPEN') @ToBool()
  @IsBoolean({ message: 'CHAT_DEV_ENDPOINTS_OPEN must be true or false' })
  devEndpointsOpen: boolean = false;
}
