/** One class a model can predict. A model card carries its own list; this is the skin8 default. */
export interface ClassInfo {
  /** Stable machine id: lower_snake_case. */
  id: string;
  en: string;
  zh: string;
  /** One plain-language sentence for patients. */
  description: { en: string; zh: string };
  /** Whether the condition usually needs a doctor's visit (not only self-care). */
  needsDoctor: boolean;
}

/** The canonical skin8 classes, index 0..7, in the order of the original report. */
export const SKIN8_CLASSES: readonly ClassInfo[] = [
  {
    id: "acne_rosacea",
    en: "Acne and rosacea",
    zh: "痤疮和玫瑰痤疮",
    description: {
      en: "Spots, bumps or persistent redness on the face, from blocked or inflamed skin glands.",
      zh: "面部的粉刺、丘疹或持续发红，由皮脂腺堵塞或发炎引起。",
    },
    needsDoctor: false,
  },
  {
    id: "eczema",
    en: "Eczema and atopic dermatitis",
    zh: "湿疹和特应性皮炎",
    description: {
      en: "Dry, itchy, inflamed skin that comes and goes, often in skin folds.",
      zh: "干燥、瘙痒、发炎的皮肤，时好时坏，常见于皮肤褶皱处。",
    },
    needsDoctor: false,
  },
  {
    id: "nail_fungus",
    en: "Nail fungus (onychomycosis)",
    zh: "甲癣",
    description: {
      en: "A fungal infection that makes nails thick, discoloured or crumbly.",
      zh: "真菌感染，使指甲变厚、变色或易碎。",
    },
    needsDoctor: true,
  },
  {
    id: "nevus",
    en: "Nevi (moles)",
    zh: "色素痣",
    description: {
      en: "A mole: usually harmless, but one that changes in size, shape or colour must be seen by a doctor.",
      zh: "痣通常无害，但大小、形状或颜色发生变化的痣必须请医生检查。",
    },
    needsDoctor: true,
  },
  {
    id: "psoriasis",
    en: "Psoriasis",
    zh: "银屑病",
    description: {
      en: "Raised, red patches with silvery scales, often on elbows, knees or scalp.",
      zh: "隆起的红色斑块，上覆银白色鳞屑，常见于肘部、膝部或头皮。",
    },
    needsDoctor: true,
  },
  {
    id: "seborrheic_dermatitis",
    en: "Seborrhoeic dermatitis",
    zh: "脂溢性皮炎",
    description: {
      en: "Greasy, flaky, red skin on the scalp, face or chest; dandruff is a mild form.",
      zh: "头皮、面部或胸部油腻、脱屑、发红的皮肤；头皮屑是其轻度表现。",
    },
    needsDoctor: false,
  },
  {
    id: "urticaria",
    en: "Urticaria (hives)",
    zh: "荨麻疹",
    description: {
      en: "Itchy raised welts that appear and fade within hours; swelling of lips or trouble breathing is an emergency.",
      zh: "瘙痒的隆起风团，数小时内出现又消退；若嘴唇肿胀或呼吸困难，属于急症。",
    },
    needsDoctor: false,
  },
  {
    id: "warts",
    en: "Warts and molluscum",
    zh: "病毒疣",
    description: {
      en: "Small rough or dome-shaped growths caused by a virus; they are contagious.",
      zh: "由病毒引起的小的粗糙或圆顶状赘生物，具有传染性。",
    },
    needsDoctor: false,
  },
];

export const SKIN8_CLASS_IDS: readonly string[] = SKIN8_CLASSES.map((c) => c.id);

/** The label a doctor or patient may give when none of the classes fits. */
export const UNKNOWN_LABEL = "unknown";

/** Class ids are lower_snake_case so they are safe as folder names, CSV cells and URL parts. */
export const CLASS_ID_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

export function classById(id: string, classes: readonly ClassInfo[] = SKIN8_CLASSES): ClassInfo | undefined {
  return classes.find((c) => c.id === id);
}
