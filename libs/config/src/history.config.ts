// Filled in by the history feature.
export class HistoryConfig {}
