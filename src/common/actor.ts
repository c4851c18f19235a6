/** Who caused a change: recorded on every event's metadata and on every MetadataSet. */
export type Actor =
  | { type: 'api_key'; api_key_id: string }
  | { type: 'cli' }
  | { type: 'system' }
  /** The person completing a webview on its hosted page. */
  | { type: 'end_user'; connect_webview_id: string }
  | { type: 'completion_saga'; connect_webview_id: string };
