using TorchSharp;
using ParameterSaliency.Models;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Tests;

/// <summary>Shared small models and inputs; tolerances stated once.</summary>
internal static class TinyModels
{
    /// <summary>
    /// float32 agreement of two computations of the same profiles: per row, the relative L1
    /// error ||a - b||₁ / ||b||₁ at most 1e-5; per entry above 1% of its row's largest, the
    /// relative error at most 1e-4. (Entries near zero carry cancellation error from the
    /// forward pass, whose float32 results differ with batch size at about 1e-7 relative.)
    /// </summary>
    public const double Relative = 1e-5;
    public const double EntryRelative = 1e-4;

    /// <summary>A ResNet with seeded weights and non-trivial BatchNorm running statistics, in eval mode.</summary>
    public static ResNet Build(ResNetConfig config, int seed) => Runtime.GlobalRandom.Seeded(seed, () =>
    {
        var model = new ResNet(config);
        using (no_grad())
        {
            using Scalar spread = 0.1, half = 0.5;
            foreach (var (name, buffer) in model.named_buffers())
            {
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.copy_(randn_like(buffer) * spread);
                if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.copy_(rand_like(buffer) + half);
            }
            foreach (var (name, parameter) in model.named_parameters())
                if (name.Contains("bn") || name.Contains("downsample.1")) parameter.copy_(parameter + randn_like(parameter) * spread);
        }
        model.eval();
        return model;
    });

    /// <summary>Seeded random images and labels, drawn with no other test's draw in between (<see cref="Runtime.GlobalRandom"/>).</summary>
    public static (Tensor Images, Tensor Labels) Inputs(int count, int channels, int size, int classes, int seed) =>
        Runtime.GlobalRandom.Seeded(seed, () => (randn(count, channels, size, size), randint(0, classes, [count], dtype: ScalarType.Int64)));

    /// <summary>Random images [count, 1, size, size] with random labels, as a data set with Fashion-MNIST's classes and normalisation.</summary>
    public static Data.ImageDataset Dataset(int count, int size, int seed)
    {
        var (images, labels) = Inputs(count, 1, size, 10, seed);
        return new Data.ImageDataset("random", images, labels, Data.FashionMnist.ClassNames, Data.Normalization.FashionMnist);
    }

    /// <summary>Per row, the relative L1 error ||a − e||₁ / ||e||₁ of float32 results <paramref name="actual"/> against a float64 reference (NaN counts as infinite).</summary>
    public static double[] RowErrors(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64).reshape(expected.shape[0], -1);
        var a = actual.to(ScalarType.Float64).reshape(actual.shape[0], -1);
        return ((a - e).abs().sum(1) / e.abs().sum(1).clamp_min(Tiny)).nan_to_num(double.PositiveInfinity).data<double>().ToArray();
    }

    /// <summary>
    /// float32 profiles against float64, as any float32 implementation can meet them: median row error at most
    /// <see cref="Float32Median"/>, and at most <see cref="Float32OutlierShare"/> of the rows above
    /// <see cref="Float32Outlier"/> (an image whose ReLU inputs sit within rounding of zero switches a gradient
    /// path: measured up to 1e-2, in PyTorch's float32 too), none above <see cref="Float32Worst"/>.
    /// </summary>
    public const double Float32Median = 1e-5, Float32Outlier = 1e-4, Float32OutlierShare = 0.1, Float32Worst = 5e-2;

    /// <summary>Asserts <see cref="Float32Median"/>, <see cref="Float32OutlierShare"/> and <see cref="Float32Worst"/> on row errors.</summary>
    public static void AssertFloat32Rows(double[] rowErrors, string what)
    {
        var sorted = rowErrors.Order().ToArray();
        double median = sorted[sorted.Length / 2];
        double share = rowErrors.Count(e => e > Float32Outlier) / (double)rowErrors.Length;
        Assert.True(median <= Float32Median, $"{what}: median row error {median:E2} > {Float32Median:E0} ({Describe(rowErrors)})");
        Assert.True(share <= Float32OutlierShare, $"{what}: {share:P0} of rows err by more than {Float32Outlier:E0} ({Describe(rowErrors)})");
        Assert.True(sorted[^1] <= Float32Worst, $"{what}: worst row error {sorted[^1]:E2} > {Float32Worst:E0} ({Describe(rowErrors)})");
    }

    /// <summary>
    /// float32 statistics (μ or σ per filter) against a reference, entry by entry: each entry averages over
    /// images, so an image whose ReLU inputs sit within rounding of zero moves some entries by its error
    /// divided by the number of images. Median entry error at most <see cref="Float32Median"/>, at most
    /// <see cref="Float32OutlierShare"/> of the entries above 1e-3, none above <see cref="Float32Worst"/>.
    /// </summary>
    public static void AssertFloat32Entries(IReadOnlyList<double> actual, IReadOnlyList<double> expected, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        var errors = expected.Select((e, i) => Math.Abs(actual[i] - e) / Math.Max(Math.Abs(e), 1e-30)).ToArray();
        var sorted = errors.Order().ToArray();
        string summary = $"{what}: {Describe(errors)} (entry relative errors)";
        Assert.True(sorted[sorted.Length / 2] <= Float32Median, summary);
        Assert.True(errors.Count(e => e > 1e-3) <= Float32OutlierShare * errors.Length, summary);
        Assert.True(sorted[^1] <= Float32Worst, summary);
    }

    /// <summary>Median, 90th percentile and worst of row errors, for messages and test output.</summary>
    public static string Describe(double[] rowErrors)
    {
        var sorted = rowErrors.Order().ToArray();
        return $"{sorted.Length} rows: median {sorted[sorted.Length / 2]:E1}, 90th percentile {sorted[(int)(0.9 * (sorted.Length - 1))]:E1}, worst {sorted[^1]:E1}";
    }

    /// <summary>Asserts two profile matrices agree within <see cref="Relative"/> and <see cref="EntryRelative"/>, naming the worst row or entry otherwise.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64).reshape(expected.shape[0], -1);
        var a = actual.to(ScalarType.Float64).reshape(actual.shape[0], -1);
        var rowError = (e - a).abs().sum(1) / e.abs().sum(1).clamp_min(Tiny);
        long worstRow = rowError.argmax().item<long>();
        Assert.True(rowError[worstRow].item<double>() <= Relative,
            $"{what}: row {worstRow} has relative L1 error {rowError[worstRow].item<double>():E2} > {Relative:E0}");
        using Scalar share = 1e-2;
        var large = e.abs() > e.abs().amax([1], keepdim: true) * share;
        var entryError = ((e - a).abs() / e.abs().clamp_min(Tiny)).where(large, zeros_like(e));
        long worst = entryError.argmax().item<long>();
        double worstError = entryError.flatten()[worst].item<double>();
        Assert.True(worstError <= EntryRelative,
            $"{what}: entry {worst} differs by {worstError:E2} relative: expected {e.flatten()[worst].item<double>():R}, got {a.flatten()[worst].item<double>():R}");
    }
}
