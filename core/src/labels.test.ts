import { describe, expect, it } from "vitest";
import { CLASS_ID_PATTERN, classById, SKIN8_CLASS_IDS, SKIN8_CLASSES } from "./labels.js";

describe("skin8 labels", () => {
  it("lists the 8 classes in the report's canonical order", () => {
    expect(SKIN8_CLASS_IDS).toEqual([
      "acne_rosacea",
      "eczema",
      "nail_fungus",
      "nevus",
      "psoriasis",
      "seborrheic_dermatitis",
      "urticaria",
      "warts",
    ]);
  });

  it("has English and Chinese names matching the data set README", () => {
    expect(SKIN8_CLASSES.map((c) => [c.en, c.zh])).toEqual([
      ["Acne and rosacea", "痤疮和玫瑰痤疮"],
      ["Eczema and atopic dermatitis", "湿疹和特应性皮炎"],
      ["Nail fungus (onychomycosis)", "甲癣"],
      ["Nevi (moles)", "色素痣"],
      ["Psoriasis", "银屑病"],
      ["Seborrhoeic dermatitis", "脂溢性皮炎"],
      ["Urticaria (hives)", "荨麻疹"],
      ["Warts and molluscum", "病毒疣"],
    ]);
  });

  it("gives every class a bilingual description and safe id", () => {
    for (const c of SKIN8_CLASSES) {
      expect(c.id).toMatch(CLASS_ID_PATTERN);
      expect(c.description.en.length).toBeGreaterThan(20);
      expect(c.description.zh.length).toBeGreaterThan(5);
    }
    expect(classById("nevus")?.needsDoctor).toBe(true);
    expect(classById("nope")).toBeUndefined();
  });
});
