import { describe, expect, it } from "vitest";
import { checkErrorMessage, errorText } from "./errors.js";
import { translator } from "./i18n/index.js";
import { decodeBitmap, PhotoDecodeError } from "./image/decode.js";
import { ReleasedError } from "./model/lease.js";
import { ModelCardInvalidError, ModelFilesMismatchError } from "./model/sources.js";
import { DownloadStalledError, HttpStatusError, NetworkError, networked } from "./net.js";

const en = translator("en");
const zh = translator("zh");
const both = (error: unknown) => [errorText(error, en), errorText(error, zh)];
/** Any run of Latin letters: English left in a Chinese message. */
const latinWords = /[A-Za-z]{3,}/;

describe("errorText", () => {
  it("names a full disk in the user's language, without the browser's English message", () => {
    const quota = new DOMException("The quota has been exceeded.", "QuotaExceededError");
    expect(both(quota)).toEqual(["storage is full", "存储空间已满"]);
    expect(zh("historyNotSaved", { error: errorText(quota, zh) })).not.toContain("quota");
  });

  it("names a failed connection, a time limit and a cancelled request", async () => {
    const offline = await networked(() => Promise.reject(new TypeError("Failed to fetch"))).catch((e) => e);
    expect(offline).toBeInstanceOf(NetworkError);
    expect(both(offline)).toEqual(["no connection to the server", "无法连接服务器"]);
    expect(both(new DOMException("signal timed out", "TimeoutError"))).toEqual([
      "the server did not answer in time",
      "服务器未能及时响应",
    ]);
    expect(both(new DOMException("This operation was aborted", "AbortError"))).toEqual([
      "the request was cancelled",
      "请求已取消",
    ]);
  });

  it("names an HTTP error status, a stalled download and a bad model card", () => {
    expect(both(new HttpStatusError(503, "/v1/channels/stable"))).toEqual([
      "the server answered with error 503",
      "服务器返回错误 503",
    ]);
    expect(both(new DownloadStalledError(30, "/v1/models/1.0.0/files/model.json"))).toEqual([
      "the download stopped: no data for 30 s",
      "下载中断：30 秒内没有收到数据",
    ]);
    expect(both(new ModelCardInvalidError("the model card from /x is not valid: version: Required"))).toEqual([
      "the server sent an invalid model description",
      "服务器发送的模型说明无效",
    ]);
  });

  it("keeps the English detail after a translated text only where it names the file to fix", () => {
    const mismatch = new ModelFilesMismatchError(
      "model files do not match the card: a.bin has sha256 00, the card says 11",
    );
    const [english, chinese] = both(mismatch);
    expect(english).toBe(`the downloaded files do not match the model card: ${mismatch.message}`);
    expect(chinese).toBe(`下载的文件与模型说明不符：${mismatch.message}`);
  });

  it("says a model replaced during a check in the user's language", () => {
    const [english, chinese] = both(new ReleasedError("the model was replaced or closed; try again"));
    expect(english).toBe("the model was replaced by an update meanwhile; try again");
    expect(chinese).toBe("模型在此期间已被更新替换，请重试");
    expect(chinese).not.toMatch(latinWords);
  });

  it("names storage that fails or refuses a request in the user's language, not IndexedDB's English", () => {
    const failures = [
      new DOMException("The operation failed for reasons unrelated to the database itself.", "UnknownError"),
      new DOMException("The database connection is closing.", "InvalidStateError"),
      new DOMException("Failed to read large IndexedDB value", "NotFoundError"),
      new DOMException("Data provided to an operation does not meet requirements.", "DataError"),
      new DOMException("Key already exists in the object store.", "ConstraintError"),
      new DOMException("The transaction has finished.", "TransactionInactiveError"),
      new DOMException("The requested version is less than the existing version.", "VersionError"),
      new DOMException("The requested file could not be read.", "NotReadableError"),
    ];
    for (const failure of failures) {
      expect(both(failure), failure.name).toEqual(["the phone's storage did not respond", "手机存储没有响应"]);
      expect(zh("historyNotDeleted", { error: errorText(failure, zh) })).not.toMatch(latinWords);
    }
  });

  it("gives other errors' messages and other thrown values as they are", () => {
    expect(both(new Error("tfjs: no backend"))).toEqual(["tfjs: no backend", "tfjs: no backend"]);
    expect(both("odd")).toEqual(["odd", "odd"]);
  });
});

describe("checkErrorMessage", () => {
  it("tells a HEIC photo, by its type or its name, to come as JPEG", async () => {
    const byName = await decodeBitmap(new File([new Uint8Array(8)], "IMG_0042.HEIC")).catch((e) => e);
    const byType = await decodeBitmap(new File([new Uint8Array(8)], "photo", { type: "image/heif" })).catch((e) => e);
    for (const error of [byName, byType]) {
      expect(error).toBeInstanceOf(PhotoDecodeError);
      expect(checkErrorMessage(error, en)).toContain("HEIC photo, which this browser cannot read");
      expect(checkErrorMessage(error, en)).toContain("Most Compatible");
      expect(checkErrorMessage(error, zh)).toContain("HEIC 格式的照片，这个浏览器无法读取");
      expect(checkErrorMessage(error, zh)).toContain("兼容性最佳");
    }
  });

  it("keeps the general message for other files that cannot be read", async () => {
    const error = await decodeBitmap(new File([new Uint8Array(8)], "scan.png", { type: "image/png" })).catch((e) => e);
    expect(checkErrorMessage(error, en)).toBe("This file could not be read as an image. Try another photo.");
    expect(checkErrorMessage(error, zh)).toBe("无法读取这个文件。请换一张照片。");
  });
});
