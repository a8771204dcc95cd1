/**
 * What the era does to a device's status. The model classifies a device by the hybrid meaning
 * (eras 1 and 2); once the hybrid release is gone (era 3), the same code means something else.
 */
import type { Era, Status } from "../report/types.js";

export function eraStatus(hybridStatus: Status, era: Era): Status {
  if (era < 3) return hybridStatus;
  switch (hybridStatus) {
    // Managed device, hybrid allocation, no teardown release: nothing frees the vectors now.
    case "implicit-managed":
      return "leaks-at-detach";
    // The explicit teardown release is now the only one: the driver owns its vectors, as a
    // driver of a device enabled with pci_enable_device() does; nothing is released twice.
    case "double-release":
      return "unmanaged";
    default:
      return hybridStatus;
  }
}
