/** Known backbones. Anything else is given as a path or URL plus its input range and cut layer. */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PREPROCESS, type PreprocessSpec } from "@pifu/core";
import { BackboneError } from "./cut.js";
import { isUrl } from "./load.js";
import { NSFWJS_SCHEME } from "./nsfwjs.js";

/** Everything needed to rebuild a backbone elsewhere (a worker, a resumed run): plain JSON. */
export interface BackboneSpec {
  /** Registry name, or the location when given as a path/URL. */
  name: string;
  /** Folder, model.json path, http(s) URL, or npm:nsfwjs/mobilenet_v2. */
  location: string;
  /** Layer whose output (global-average pooled if spatial) is the feature; default: the model output. */
  layer?: string;
  /** "none" keeps the layer's activation map instead of global average pooling it (fine-tuning caches). */
  pool?: "gap" | "none";
  preprocess: PreprocessSpec;
}

/** Head-training defaults that suit a backbone's feature scale. */
export interface HeadDefaults {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

export interface RegistryEntry {
  spec: BackboneSpec;
  defaults: HeadDefaults;
  description: string;
}

/** ../shared/backbones next to the checkout; PIFU_BACKBONES or PIFU_SHARED override. */
export function sharedBackbonesDir(): string {
  if (process.env.PIFU_BACKBONES) return resolve(process.env.PIFU_BACKBONES);
  const shared = process.env.PIFU_SHARED ?? resolve(dirname(fileURLToPath(import.meta.url)), "../../../../shared");
  return join(resolve(shared), "backbones");
}

const spec224 = (range: [number, number]): PreprocessSpec => ({ ...DEFAULT_PREPROCESS, inputSize: 224, range });

// The seed report's Adam 1e-4 was for end-to-end fine-tuning; a linear head on frozen features needs
// many more epochs at that rate, so heads default to 1e-3 (pass --lr 1e-4 when fine-tuning).
const LINEAR_HEAD: HeadDefaults = { epochs: 60, batchSize: 64, learningRate: 1e-3 };
// Tiny Darknet's standardised features fit a linear head more slowly: at 1e-3 the head still
// underfits after 60 epochs, and re-weighted or balanced losses, slower still, ended 5 points of
// accuracy and 9 of macro-F1 below plain CE. At 3e-3 plain CE converges and re-weighted CE comes
// within 0.02 of its longer-trained score; MobileNetV2 overfits at 3e-3, so it keeps 1e-3
// (docs/results/ablation.md, "Tiny Darknet and re-weighting").
const DARKNET_LINEAR_HEAD: HeadDefaults = { ...LINEAR_HEAD, learningRate: 3e-3 };

export const BACKBONES: Record<string, () => RegistryEntry> = {
  "mobilenet_v2_0.35": () => ({
    spec: {
      name: "mobilenet_v2_0.35",
      location: join(sharedBackbonesDir(), "mobilenet_v2_0.35_224"),
      preprocess: spec224([-1, 1]),
    },
    defaults: LINEAR_HEAD,
    description: "MobileNetV2 width 0.35, ImageNet (Keras Applications), 1280-d pooled output",
  }),
  darknet_tiny: () => ({
    spec: {
      name: "darknet_tiny",
      location: join(sharedBackbonesDir(), "darknet_tiny_224"),
      layer: "leaky_re_lu_14",
      preprocess: spec224([0, 1]),
    },
    defaults: DARKNET_LINEAR_HEAD,
    description: "Tiny Darknet ImageNet classifier cut at leaky_re_lu_14 + global average pooling, 512-d",
  }),
  nsfwjs_mobilenet_v2: () => ({
    spec: {
      name: "nsfwjs_mobilenet_v2",
      location: `${NSFWJS_SCHEME}mobilenet_v2`,
      layer: "out_relu",
      preprocess: spec224([0, 1]),
    },
    defaults: LINEAR_HEAD,
    description:
      "nsfwjs's MobileNetV2 (width 1.0) from npm; early blocks ImageNet, late blocks retrained for another task",
  }),
};

export interface ResolveBackboneOptions {
  layer?: string;
  range?: [number, number];
  inputSize?: number;
}

/**
 * A registry name, or a path/URL to any layers model. For paths and URLs the input range defaults
 * to [-1, 1] and the input size to 224 unless given.
 */
export function resolveBackbone(nameOrLocation: string, options: ResolveBackboneOptions = {}): RegistryEntry {
  const known = BACKBONES[nameOrLocation];
  let entry: RegistryEntry;
  if (known) entry = known();
  else if (isUrl(nameOrLocation) || nameOrLocation.includes("/") || nameOrLocation.endsWith(".json")) {
    entry = {
      spec: { name: nameOrLocation, location: nameOrLocation, preprocess: spec224([-1, 1]) },
      defaults: LINEAR_HEAD,
      description: `layers model at ${nameOrLocation}`,
    };
  } else {
    throw new BackboneError(
      `unknown backbone "${nameOrLocation}"; valid: ${Object.keys(BACKBONES).join(", ")}, or a path or URL to a layers model`,
    );
  }
  const spec: BackboneSpec = {
    ...entry.spec,
    ...(options.layer ? { layer: options.layer } : {}),
    preprocess: {
      ...entry.spec.preprocess,
      ...(options.range ? { range: options.range } : {}),
      ...(options.inputSize ? { inputSize: options.inputSize } : {}),
    },
  };
  return { ...entry, spec };
}
