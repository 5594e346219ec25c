// Progress events: what the engine work reports as it goes, for the CLI (or a library user) to
// render. Wording follows Compose: `Container demo-web-1  Started`.

export type ProgressStatus =
  | "Creating"
  | "Created"
  | "Recreate"
  | "Recreated"
  | "Starting"
  | "Started"
  | "Running"
  | "Stopping"
  | "Stopped"
  | "Restarting"
  | "Killing"
  | "Killed"
  | "Pulling"
  | "Pulled"
  | "Skipped"
  | "Exists"
  | "Removing"
  | "Removed"
  | "Waiting"
  | "Healthy"
  | "Exited"
  | "Error"
  | "Warning"
  /** New secret bytes are in place in a running container (no restart). */
  | "Secrets updated"
  /** The service's reload signal was sent after a live secret update. */
  | "Signalled"
  /** A Swarm service's spec was changed (`composec deploy`); its tasks follow by rolling update. */
  | "Updating"
  | "Updated"
  /** A Swarm service whose spec is already what the project asks for. */
  | "Unchanged";

export interface ProgressEvent {
  /** `Container demo-web-1`, `Network demo_default`, `Volume demo_data`. */
  resource: string;
  status: ProgressStatus;
  /** Extra text (an error message). */
  detail?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Whether the status ends the resource's work (as opposed to announcing it). */
export function isFinal(status: ProgressStatus): boolean {
  return ![
    "Creating",
    "Recreate",
    "Starting",
    "Stopping",
    "Restarting",
    "Killing",
    "Pulling",
    "Removing",
    "Waiting",
    "Updating",
  ].includes(status);
}
