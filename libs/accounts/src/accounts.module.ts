import { Module } from '@nestjs/common';
import { UserAccounts } from './user-accounts.service';

/** Needs the (global) database, auth and common modules of the app that imports it. */
@Module({ providers: [UserAccounts], exports: [UserAccounts] })
export class AccountsModule {}
