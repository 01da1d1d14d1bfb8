export * from "./common";
export * from "./link";
export * from "./namespace";
export * from "./vethPair";
export * from "./bridge";
export * from "./tapDevice";
export * from "./diff";
export * from "./route";
