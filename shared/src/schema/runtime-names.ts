import { z } from 'zod';
import { LIMITS } from './limits.js';

/**
 * Names the container runtimes keep in their own files, read by the collector
 * (`--root`, probe runtime-names). Only the fields below are ever read from
 * those files: they also hold environments and secrets.
 */

/** Most entries per list: the collector reads at most 10,000 per runtime directory. */
export const RUNTIME_NAMES_MAX = 100_000;

const name = () => z.string().max(LIMITS.shortChars);

/**
 * A pod from a `/var/log/pods/<namespace>_<pod>_<uid>/` directory name.
 * Kubelets before 1.14 named it by the uid alone: `namespace` and `name` are then null.
 */
export const RuntimePodSchema = z.object({
  uid: name(),
  namespace: name().nullable(),
  name: name().nullable(),
});
export type RuntimePod = z.infer<typeof RuntimePodSchema>;

export const RuntimeNameSourceSchema = z.enum([
  'containerd', // /run/containerd/io.containerd.runtime.v2.task/<ns>/<id>/config.json annotations
  'cri-o', // /run/containers/storage/overlay-containers/<id>/userdata/config.json annotations
  'docker', // /var/lib/docker/containers/<id>/config.v2.json Name, Config.Image
  'podman', // /var/lib/containers/storage/overlay-containers/containers.json id, names
]);

/** A container (or pod sandbox) by its runtime id, with the names its file gave. */
export const RuntimeContainerSchema = z.object({
  source: RuntimeNameSourceSchema,
  id: name(),
  /** Docker's `Name` without its leading '/', podman's first name, the CRI container name. */
  name: name().nullable(),
  /** Docker's `Config.Image`; null elsewhere. */
  image: name().nullable(),
  /** The pod of a CRI container or sandbox, from its annotations. */
  pod: z.object({ uid: name().nullable(), namespace: name().nullable(), name: name().nullable() }).nullable(),
});
export type RuntimeContainer = z.infer<typeof RuntimeContainerSchema>;

export const RuntimeNamesSchema = z.object({
  pods: z.array(RuntimePodSchema).max(RUNTIME_NAMES_MAX),
  containers: z.array(RuntimeContainerSchema).max(RUNTIME_NAMES_MAX),
});
export type RuntimeNames = z.infer<typeof RuntimeNamesSchema>;
