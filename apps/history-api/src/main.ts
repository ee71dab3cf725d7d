import { bootApp } from '@app/common';
import { HistoryConfig } from '@app/config';
import { HistoryApiModule } from './history-api.module';

void bootApp(HistoryApiModule, { name: 'history-api', configs: [HistoryConfig] });
