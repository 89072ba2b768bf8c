/**
 * One training run end to end: read data, embed (cached), train the head, select on val macro-F1,
 * write the run folder (model/, run.json, report.md, curves.svg, confusion.svg, checkpoints/).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type * as tfl from "@tensorflow/tfjs-layers";
import { activeBackend, initBackend } from "../backend/index.js";
import { classCounts, type Dataset, Rng, readDataset, stratifiedSplit } from "../data/index.js";
import { type Evaluation, evaluationMarkdown } from "../metrics/index.js";
import { confusionSvg, lineChartSvg } from "../report/svg.js";
import { type TrainConfig, validateConfig } from "./config.js";
import { prepareFineTune } from "./finetune.js";
import { backboneSpecs, type FrozenData, prepareFrozenData } from "./frozen-data.js";
import { buildHead, featureStats } from "./head.js";
import { type EpochRecord, trainLoop } from "./loop.js";
import { saveLayersModel } from "./save.js";

export interface RunHooks {
  log?: (line: string) => void;
  onStage?: (label: string, done: number, total: number) => void;
  onEpoch?: (record: EpochRecord, epochs: number) => void;
}

export interface RunResult {
  config: TrainConfig;
  classes: string[];
  evaluation: Evaluation;
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The epoch a resumed run continued from. */
  resumedFrom?: number;
  backboneSha256: string[];
  skipped: FrozenData["skipped"];
  trainImages: number;
  trainRows: number;
  valImages: number;
  embedSeconds: number;
  /** Share of embeddings read from the feature cache. */
  cachedShare: number;
  trainSeconds: number;
  outDir: string;
  backend: string;
}

export async function loadSplits(config: TrainConfig): Promise<{ train: Dataset; val: Dataset }> {
  const train = await readDataset(config.data, config.labels ? { labelsFile: config.labels } : {});
  if (config.val)
    return {
      train,
      val: await readDataset(config.val, { classes: train.classes, classesFrom: `the train folder ${train.root}` }),
    };
  const { train: kept, heldOut } = stratifiedSplit(train.items, config.valFraction, new Rng(config.seed).fork("split"));
  return { train: { ...train, items: kept }, val: { ...train, items: heldOut, skipped: [] } };
}

export async function runTraining(config: TrainConfig, hooks: RunHooks = {}): Promise<RunResult> {
  validateConfig(config);
  const log = hooks.log ?? (() => {});
  const outDir = resolve(config.out);
  await mkdir(outDir, { recursive: true });
  await initBackend(config.backend, log);
  const { train, val } = await loadSplits(config);
  log(
    `data: ${train.items.length} train, ${val.items.length} val images; classes (${train.classOrigin}): ${train.classes.join(", ")}`,
  );

  let specs = backboneSpecs(config.backbones, config.layer, config.range, config.inputSize);
  const fineTune = config.finetuneFrom
    ? await prepareFineTune(specs, config.finetuneFrom, train.classes.length, config)
    : undefined;
  if (fineTune) specs = [fineTune.activationSpec];
  const frozen = await prepareFrozenData(train.items, val.items, {
    backbones: specs,
    backend: config.backend,
    workers: config.workers,
    cacheDir: config.cacheDir,
    augment: config.augment,
    augmentCopies: config.augmentCopies,
    mix: config.mix,
    mixAlpha: config.mixAlpha,
    mixSpace: config.mixSpace,
    mixCopies: config.mixCopies,
    seed: config.seed,
    ...(hooks.onStage ? { onStage: hooks.onStage } : {}),
  });
  const skipped = [...train.skipped, ...val.skipped, ...frozen.skipped];
  for (const s of skipped) log(`skipped ${s.path}: ${s.reason}`);
  log(
    `features: ${frozen.featureDim}-d, ${frozen.train.labelA.length} training rows, ${frozen.val.labels.length} val; embedding ${frozen.embedSeconds.toFixed(1)} s (${(frozen.cachedShare * 100).toFixed(0)}% cached)`,
  );

  const counts = classCounts(frozen.trainItems, train.classes.length);
  const started = performance.now();
  if (fineTune) {
    frozen.train.rowShape = fineTune.activationShape;
    frozen.val.rowShape = fineTune.activationShape;
  }
  const head =
    fineTune?.model ??
    buildHead(
      frozen.featureDim,
      train.classes.length,
      config.head,
      config.seed,
      config.head.standardize ? featureStats(frozen.train.x, frozen.featureDim) : undefined,
    );
  const result = await trainLoop(head, frozen.train, frozen.val, {
    classes: train.classes,
    counts,
    loss: config.loss,
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    minLearningRate: config.minLearningRate,
    warmupEpochs: config.warmupEpochs,
    patience: config.patience,
    seed: config.seed,
    ...(config.mix === "mixup" && config.mixSpace === "feature" ? { featureMixup: { alpha: config.mixAlpha } } : {}),
    checkpointDir: join(outDir, "checkpoints"),
    resume: config.resume,
    onEpoch: (r) => hooks.onEpoch?.(r, config.epochs),
  });
  const trainSeconds = (performance.now() - started) / 1000;

  const run: RunResult = {
    config,
    classes: train.classes,
    evaluation: result.evaluation,
    history: result.history,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    backboneSha256: frozen.backboneSha256,
    skipped,
    trainImages: frozen.trainItems.length,
    trainRows: frozen.train.labelA.length,
    valImages: frozen.valItems.length,
    embedSeconds: frozen.embedSeconds,
    cachedShare: frozen.cachedShare,
    trainSeconds,
    outDir,
    backend: activeBackend()?.active ?? config.backend,
  };
  if (result.resumedFrom !== undefined) run.resumedFrom = result.resumedFrom;
  // A fine-tuned tail is saved joined to its trunk, so model/ maps images to logits either way.
  const saved: tfl.LayersModel = fineTune ? fineTune.joinTrunk(result.model) : result.model;
  await saveLayersModel(saved, join(outDir, "model"));
  if (!fineTune) result.model.dispose();
  await writeRunFiles(run);
  return run;
}

async function writeRunFiles(run: RunResult): Promise<void> {
  const { outDir, evaluation, history, classes } = run;
  await writeFile(join(outDir, "run.json"), `${JSON.stringify({ ...run, outDir: undefined }, null, 2)}\n`);
  await writeFile(
    join(outDir, "curves.svg"),
    lineChartSvg(
      "Training curves",
      [
        { name: "train loss", values: history.map((h) => h.trainLoss) },
        { name: "val loss (CE)", values: history.map((h) => h.valLoss) },
        { name: "val accuracy", values: history.map((h) => h.valAccuracy) },
        { name: "val macro-F1", values: history.map((h) => h.valMacroF1) },
      ],
      "value",
    ),
  );
  await writeFile(
    join(outDir, "confusion.svg"),
    confusionSvg("Validation confusion matrix", evaluation.confusion, classes),
  );
  const md = [
    "# Training run",
    "",
    `Backbone(s): ${run.config.backbones.join(" + ")} (sha256 ${run.backboneSha256.join(", ")}); backend ${run.backend}; seed ${run.config.seed}.`,
    `Loss ${run.config.loss.kind} (weighting ${run.config.loss.weighting}); mix ${run.config.mix}; head ${run.config.head.hidden.length ? `MLP ${run.config.head.hidden.join("-")}` : "linear"}.`,
    `Selected epoch ${run.bestEpoch} of ${history.length}${run.stoppedEarly ? " (early stop)" : ""} on val macro-F1.`,
    `${run.trainImages} training images (${run.trainRows} rows), ${run.valImages} validation images.`,
    "",
    evaluationMarkdown(evaluation, "Validation"),
    "",
    "![curves](curves.svg) ![confusion](confusion.svg)",
    "",
    run.skipped.length
      ? `Skipped files (${run.skipped.length}):\n\n${run.skipped.map((s) => `- ${s.path}: ${s.reason}`).join("\n")}`
      : "No files were skipped.",
    "",
  ].join("\n");
  await writeFile(join(outDir, "report.md"), md);
}
