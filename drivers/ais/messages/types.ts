/** A decoded AIS message with gpsd's JSON field names (gpsd `json_aivdm_dump`, protocol 3.x). */
export type AisMessage = { class: 'AIS'; type: number; repeat: number; mmsi: number; scaled: boolean } & Record<string, unknown>;

export type AisFields = Record<string, number | string | boolean>;
