using System.Collections;
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
    public static SaliencyStatistics Import(string path, string arch)
    {
        var architecture = Architectures.Named(arch);
        if (!File.Exists(path)) throw new FileNotFoundException($"No statistics file at {path}.", path);
        Hashtable content;
        try
        {
            content = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (NotImplementedException)
        {
            throw new InvalidDataException($"{path} was written by PyTorch's legacy (pre-1.6, non-zip) torch.save; re-save it with a current PyTorch.");
        }
        catch (Exception e) when (e is InvalidCastException or InvalidOperationException or System.IO.InvalidDataException or Razorvine.Pickle.PickleException)
        {
            throw new InvalidDataException($"{path} is not a torch.save file of a dict of tensors ({e.Message}).");
        }
        using var scope = NewDisposeScope();
        Tensor Vector(string key) => content[key] is Tensor t && t.dim() == 1
            ? t.to(ScalarType.Float64)
            : throw new InvalidDataException($"{path} has no 1-D tensor '{key}' (keys: {string.Join(", ", content.Keys.Cast<object>())}): not saliency statistics.");
        var mean = Vector("mean");
        var std = Vector("std");
        using var model = architecture.Build(architecture.DefaultClasses, architecture.DefaultInChannels);
        var layout = ProfileLayout.For(model, Aggregation.FilterWise);
        if (mean.shape[0] != layout.Length || std.shape[0] != layout.Length)
            throw new InvalidDataException($"{path} holds {mean.shape[0]} means and {std.shape[0]} standard deviations, but {arch} has {layout.Length} filters: statistics of another architecture?");
        return SaliencyStatistics.Imported(mean.data<double>().ToArray(), std.data<double>().ToArray(), layout.EntryNames,
            $"authors' {arch} statistics ({Path.GetFileName(path)})");
    }
}
