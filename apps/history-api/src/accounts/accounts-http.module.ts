import { Module } from '@nestjs/common';
import { AccountsModule } from '@app/accounts';
import { AccountsController } from './accounts.controller';
import { FriendsController, PeopleController } from './friends.controller';
import { ImageBase } from './image-base';

/** The legacy account and friend paths (CONTRACT section 6) over HTTP. */
@Module({
  imports: [AccountsModule],
  controllers: [AccountsController, FriendsController, PeopleController],
  providers: [ImageBase],
})
export class AccountsHttpModule {}
