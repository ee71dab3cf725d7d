// Filled in by the bus feature.
export class BusConfig {}
