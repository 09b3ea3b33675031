import type { IPodSecurityContext } from 'kubernetes-models/v1/PodSecurityContext';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';

/**
 * The Pod Security Standards' `restricted` profile, which a namespace
 * labelled `pod-security.kubernetes.io/enforce: restricted` demands: a
 * numeric non-root user (the node image's `node`, uid 1000, or the
 * infrastructure image's own), no privilege escalation, every capability
 * dropped, the runtime's default seccomp profile. On top of it, a
 * read-only root filesystem where the image allows one, with an emptyDir
 * at /tmp for what Node and the drivers write there.
 */
export function podSecurity(user: number): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    fsGroup: user,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function containerSecurity(options: { readOnlyRootFilesystem: boolean }): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

/** The uid (and gid) msx's service images run as: `node` in the node image. */
export const SERVICE_USER = 1000;

/** A writable, size-capped scratch folder on a read-only root filesystem. */
export function scratchVolume(name: string, sizeLimit = '64Mi'): IVolume {
  return { name, emptyDir: { sizeLimit } };
}

export function scratchMount(name: string, mountPath: string): IVolumeMount {
  return { name, mountPath };
}
