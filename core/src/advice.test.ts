import { describe, expect, it } from "vitest";
import { DOCTOR_ADVICE_THRESHOLD, needsDoctor } from "./advice.js";
import { SKIN8_CLASS_IDS } from "./labels.js";

/** Probabilities in skin8 order from a map of id → probability (the rest share what is left). */
function skin8(given: Record<string, number>) {
  const rest = (1 - Object.values(given).reduce((a, b) => a + b, 0)) / (8 - Object.keys(given).length);
  return { probabilities: Float64Array.from(SKIN8_CLASS_IDS, (id) => given[id] ?? rest), unsure: false };
}

describe("needsDoctor", () => {
  it("sends to a doctor for a doctor-class outside the top three", () => {
    // nevus is 4th at 12%: the top three alone would say self-care.
    const result = skin8({ eczema: 0.3, acne_rosacea: 0.25, urticaria: 0.2, nevus: 0.12 });
    expect(needsDoctor(result, SKIN8_CLASS_IDS)).toBe(true);
  });

  it("advises self-care when only self-care classes reach the threshold", () => {
    const result = skin8({ eczema: 0.5, acne_rosacea: 0.3, urticaria: 0.14 });
    expect(needsDoctor(result, SKIN8_CLASS_IDS)).toBe(false);
  });

  it("counts a doctor-class exactly at the threshold but not below it", () => {
    const at = skin8({ eczema: 0.6, psoriasis: DOCTOR_ADVICE_THRESHOLD });
    expect(needsDoctor(at, SKIN8_CLASS_IDS)).toBe(true);
    const below = skin8({ eczema: 0.8, acne_rosacea: 0.1, psoriasis: 0.0999 });
    expect(needsDoctor(below, SKIN8_CLASS_IDS)).toBe(false);
  });

  it("always sends to a doctor when the model is unsure", () => {
    const result = { ...skin8({ eczema: 0.9 }), unsure: true };
    expect(needsDoctor(result, SKIN8_CLASS_IDS)).toBe(true);
  });

  it("always sends to a doctor when the photo failed the quality gate", () => {
    const result = skin8({ eczema: 0.9 });
    expect(needsDoctor(result, SKIN8_CLASS_IDS)).toBe(false);
    expect(needsDoctor({ ...result, poorPhoto: true }, SKIN8_CLASS_IDS)).toBe(true);
  });

  it("treats a class id core does not know as needing a doctor", () => {
    const ids = ["eczema", "acne_rosacea", "new_condition"];
    expect(needsDoctor({ probabilities: Float64Array.of(0.6, 0.25, 0.15), unsure: false }, ids)).toBe(true);
    expect(needsDoctor({ probabilities: Float64Array.of(0.6, 0.35, 0.05), unsure: false }, ids)).toBe(false);
  });

  it("treats a probability without a class id as needing a doctor", () => {
    expect(needsDoctor({ probabilities: Float64Array.of(0.5, 0.5), unsure: false }, ["eczema"])).toBe(true);
  });
});
