/**
 * What a place demo needs from its simulated world: the pty each configured source opens, the
 * unit its grants name, and the physical events (a unit arrives, a unit leaves). Each place's
 * scene (berth-scene.ts, charger-scene.ts, dock-scene.ts) builds its devices from hil/.
 */

export interface PlaceScene {
  /** Source id in the example configuration → the pty path the agent opens instead of /dev/... */
  ports: Record<string, string>;
  /** Where the scene's gpsd listens, for a `type: gpsd` source. */
  gpsdPort?: number;
  /** The unit the demo's grants name, `scheme:id` as `authority grant --unit` takes it. */
  unit: string;
  /** The grant's spatial tolerance in metres, within what the place attests. */
  toleranceM: number;
  /** One line per simulated device, for the banner. */
  devices: string[];
  /** What arrive() and leave() do, in words, printed before they do it. */
  arrival: string;
  departure: string;
  /** The unit comes: identity and physical evidence, as the place's sensors would see it. */
  arrive(): Promise<void>;
  /** The unit goes. */
  leave(): Promise<void>;
  close(): Promise<void>;
}
