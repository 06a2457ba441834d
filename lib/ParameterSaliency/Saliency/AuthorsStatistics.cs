using ParameterSaliency.Models;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Reads the filter-wise saliency statistics the paper's authors released for torchvision's ImageNet models
/// (<c>ImageNet_val_saliency_stat_&lt;model&gt;_filter_wise.pth</c>: a <c>torch.save</c> dict of <c>mean</c> and
/// <c>std</c>, one entry per filter in <c>named_parameters()</c> order) into this library's statistics, with the
/// filter names of our layout of that architecture. The files record no sample count, so the result
/// cannot be merged (<see cref="SaliencyStatistics.CountKnown"/>).
/// <code>
/// var statistics = AuthorsStatistics.Import("ImageNet_val_saliency_stat_resnet50_filter_wise.pth", "resnet50");
/// statistics.Save("resnet50.imagenet-val.safetensors");
/// </code>
/// </summary>
public static class AuthorsStatistics
{
    /// <summary>μ and σ of <paramref name="path"/> for the architecture <paramref name="arch"/> (see <see cref="Architectures"/>); a clear error when the file is not such statistics or their filter count is not the architecture's.</summary>
    /// <param name="path">The authors' <c>torch.save</c> file (.pth) holding 1-D <c>mean</c> and <c>std</c> tensors, one entry per filter.</param>
    /// <param name="arch">Architecture name, e.g. <c>resnet50</c> (see <see cref="Architectures"/>), whose filter layout names the entries.</param>
    public static SaliencyStatistics Import(string path, string arch)
    {
        var architecture = Architectures.Named(arch);
        var content = PyTorchCheckpoint.ReadStateDict(path); // a torch.save file: its format checks and messages
        try
        {
            double[] Vector(string key) => content.TryGetValue(key, out var t) && t.dim() == 1
                ? t.to(ScalarType.Float64).data<double>().ToArray()
                : throw new InvalidDataException($"{path} has no 1-D tensor '{key}' (keys: {string.Join(", ", content.Keys)}): not saliency statistics.");
            double[] mean = Vector("mean"), std = Vector("std");
            using var model = architecture.Build(architecture.DefaultClasses, architecture.DefaultInChannels);
            var layout = ProfileLayout.For(model, Aggregation.FilterWise);
            if (mean.Length != layout.Length || std.Length != layout.Length)
                throw new InvalidDataException($"{path} holds {mean.Length} means and {std.Length} standard deviations, but {arch} has {layout.Length} filters: statistics of another architecture?");
            return SaliencyStatistics.Imported(mean, std, layout.EntryNames, $"authors' {arch} statistics ({Path.GetFileName(path)})");
        }
        finally
        {
            foreach (var tensor in content.Values) tensor.Dispose();
        }
    }
}
