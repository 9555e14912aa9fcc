/** A decoded AIS message with gpsd's JSON field names (gpsd `json_aivdm_dump`, protocol 3.x). */
export type AisMessage = { class: 'AIS'; type: number; repeat: number; mmsi: number; scaled: boolean } & Record<string, unknown>;

/** A field value: a number, text or flag, or a list of repeated groups (e.g. tidal windows). */
export type AisFieldValue = number | string | boolean | AisFields[];
export type AisFields = { [name: string]: AisFieldValue };
