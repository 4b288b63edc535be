export { startEcrEndpoint, type EcrEndpoint, type EcrEndpointOptions, type EndpointMode, type InjectedFault } from './ecr-endpoint.js';
export { basicFinding, digestOf, ecrClientEnv, enhancedFinding, syntheticImages } from './ecr-fixtures.js';
export type { BasicFindingWire, EnhancedFindingWire, ImageSpec, ScanType } from './ecr-registry-state.js';
