namespace ParameterSaliency.Runtime;

/// <summary>
/// One float32 convolution the kernel probe checks against float64: <paramref name="Batch"/> images of
/// <paramref name="InChannels"/>×<paramref name="Size"/>×<paramref name="Size"/> through a square kernel with padding
/// kernel/2. The cases are the shapes libtorch's kernels got wrong or crashed on (AMD EPYC, 2026-12-06/07), the
/// default model's, and the strided convolutions of torchvision's ResNet-50 at 224×224.
/// </summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Kernel height and width.</param>
/// <param name="Stride">Stride.</param>
/// <param name="Size">Input height and width.</param>
/// <param name="Batch">Images in the batch.</param>
public sealed record KernelProbeCase(int InChannels, int OutChannels, int Kernel, int Stride, int Size, int Batch)
{
    /// <summary>Every case, cheapest first (about 1.5 s in all with its float64 references on one thread).</summary>
    public static IReadOnlyList<KernelProbeCase> All { get; } =
    [
        // CpuKernelTests' shapes: (8, 8, 14, 5) gave 6.6e-1 and (8, 8, 28, 64) NaN under AVX-512 on a Zen 5.
        new(1, 16, 3, 1, 28, 8), new(8, 8, 3, 1, 14, 5), new(8, 8, 3, 1, 28, 64), new(16, 16, 3, 1, 28, 64), new(64, 64, 3, 1, 7, 32),
        // The default model's (CIFAR ResNet-18, width 16, 28×28) strided convolution and projection.
        new(16, 32, 3, 2, 28, 16), new(16, 32, 1, 2, 28, 16),
        // torchvision ResNet-50 at 224×224, batch 2: the stem and every strided convolution (a strided backward-data
        // primitive crashed with SIGFPE while being built on a Zen 5, under every cap).
        new(3, 64, 7, 2, 224, 2), new(128, 128, 3, 2, 56, 2), new(256, 512, 1, 2, 56, 2), new(256, 256, 3, 2, 28, 2),
        new(512, 1024, 1, 2, 28, 2), new(512, 512, 3, 2, 14, 2), new(1024, 2048, 1, 2, 14, 2),
    ];

    /// <summary>A short name, e.g. <c>3x3/2 128→128 56x56 ×2</c>.</summary>
    public string Name => $"{Kernel}x{Kernel}/{Stride} {InChannels}→{OutChannels} {Size}x{Size} ×{Batch}";

    /// <summary>The short name.</summary>
    public override string ToString() => Name;
}
