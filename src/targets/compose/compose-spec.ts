/**
 * The part of the compose specification msx renders, as types: the file is
 * built as these objects and serialised at the end. Field names are the
 * specification's (snake_case). Only what both `docker compose` v2 and
 * `docker-compose` v1 (1.29) accept is used, except the top-level `name`,
 * which only v2 output carries.
 */
export interface ComposeFile {
  /** v2 only: the project name (v1 rejects the key and takes `-p`). */
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, ComposeVolume>;
  networks?: Record<string, ComposeNetwork>;
}

export interface ComposeService {
  image: string;
  /** Replicas to start: the one key compose v2 and v1 (1.29) both honour (v1 ignores `deploy.replicas`). */
  scale?: number;
  command?: string[];
  hostname?: string;
  environment?: Record<string, string>;
  /** Short syntax, `127.0.0.1:8080:3000`: the long syntax's `host_ip` is rejected by v1. */
  ports?: string[];
  expose?: string[];
  volumes?: ComposeMount[];
  depends_on?: Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
  healthcheck?: ComposeHealthcheck;
  restart?: 'no' | 'always' | 'on-failure' | 'unless-stopped';
  init?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  profiles?: string[];
  labels?: Record<string, string>;
  user?: string;
  read_only?: boolean;
  tmpfs?: string[];
}

/** The long volume syntax (a named volume or a bind mount of a generated folder). */
export type ComposeMount =
  | { type: 'volume'; source: string; target: string }
  | { type: 'bind'; source: string; target: string; read_only: true };

export interface ComposeHealthcheck {
  test: string[];
  interval: string;
  timeout: string;
  retries: number;
  start_period: string;
}

export interface ComposeVolume {
  labels?: Record<string, string>;
}

export interface ComposeNetwork {
  labels?: Record<string, string>;
}
