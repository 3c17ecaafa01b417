/**
 * @module The canonical flow record, keyed by IPFIX information-element names.
 *
 * This is the object form used in JSON output, JSON-lines import and tests.
 * Hot paths (decoders, the collector, the store writer) use the columnar
 * {@link FlowBatch} instead and never build one object per flow.
 */

export interface FlowRecord {
  flowStartMilliseconds: number;
  flowEndMilliseconds: number;
  /** IPv4 dotted quad or RFC 5952 IPv6 text. */
  sourceIPAddress: string;
  destinationIPAddress: string;
  sourceTransportPort: number;
  destinationTransportPort: number;
  protocolIdentifier: number;
  tcpControlBits: number;
  packetDeltaCount: number;
  octetDeltaCount: number;
  ingressInterface: number;
  egressInterface: number;
  ipClassOfService: number;
  bgpSourceAsNumber: number;
  bgpDestinationAsNumber: number;
  ipNextHopAddress: string;
  flowDirection: number;
  exporterIPAddress: string;
  samplingInterval: number;
  label: string | null;
}

/** Defaults for the fields an input may leave out. */
export function emptyRecord(): FlowRecord {
  return {
    flowStartMilliseconds: 0,
    flowEndMilliseconds: 0,
    sourceIPAddress: '0.0.0.0',
    destinationIPAddress: '0.0.0.0',
    sourceTransportPort: 0,
    destinationTransportPort: 0,
    protocolIdentifier: 0,
    tcpControlBits: 0,
    packetDeltaCount: 0,
    octetDeltaCount: 0,
    ingressInterface: 0,
    egressInterface: 0,
    ipClassOfService: 0,
    bgpSourceAsNumber: 0,
    bgpDestinationAsNumber: 0,
    ipNextHopAddress: '0.0.0.0',
    flowDirection: 0,
    exporterIPAddress: '0.0.0.0',
    samplingInterval: 1,
    label: null,
  };
}
