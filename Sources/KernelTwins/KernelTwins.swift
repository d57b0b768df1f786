public enum KernelTwins {}
