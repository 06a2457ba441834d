using System.Globalization;
using System.Security.Cryptography;
using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// Saves and loads ResNet weights as safetensors with PyTorch state-dict names. The
/// <c>__metadata__</c> records <c>arch</c>, <c>in_channels</c>, <c>width</c>, <c>num_classes</c>,
/// <c>mean</c>, <c>std</c> and <c>dataset</c>, so the file alone rebuilds its model.
/// </summary>
public static class ModelFile
{
    /// <summary>Writes the model's state dict (parameters and buffers) atomically.</summary>
    public static void Save(ResNet model, Normalization normalization, string dataset, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>(model.Config.ToMetadata())
        {
            ["mean"] = string.Join(",", normalization.Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture))),
            ["std"] = string.Join(",", normalization.Std.Select(s => s.ToString("R", CultureInfo.InvariantCulture))),
            ["dataset"] = dataset,
            ["format"] = "pt",
        };
        if (extraMetadata is not null)
            foreach (var (key, value) in extraMetadata) metadata[key] = value;
        SafeTensors.Write(path, model.state_dict(), metadata);
    }

    /// <summary>Rebuilds the model a file describes, loads its weights, puts it in eval mode on <paramref name="device"/> (default: <see cref="Runtime.NativeTorch.DefaultDevice"/>).</summary>
    public static SavedModel Load(string path, Device? device = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        if (!File.Exists(path)) throw new FileNotFoundException($"No weights file at '{path}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        using var content = SafeTensors.Parse(bytes, path);
        var config = ResNetConfig.FromMetadata(content.Metadata, path);
        var normalization = new Normalization(ParseFloats(content.Metadata, "mean", path), ParseFloats(content.Metadata, "std", path));
        if (normalization.Channels != config.InChannels || normalization.Std.Length != config.InChannels)
            throw new InvalidDataException($"{path}: mean/std have {normalization.Mean.Length}/{normalization.Std.Length} entries but the model has {config.InChannels} input channels.");
        var model = new ResNet(config);
        try
        {
            LoadWeights(model, content.Tensors, path);
            model.to(device ?? Runtime.NativeTorch.DefaultDevice);
            model.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        string dataset = content.Metadata.TryGetValue("dataset", out var name) ? name : "unknown";
        string fingerprint = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return new SavedModel(model, normalization, dataset, Path.GetFullPath(path), fingerprint, content.Metadata.ToDictionary());
    }

    /// <summary>
    /// Copies <paramref name="weights"/> into <paramref name="model"/> by name. Fails, naming the
    /// key, when the file misses a key of the model, has a key the model lacks, or has a shape
    /// that differs.
    /// </summary>
    public static void LoadWeights(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var target = model.state_dict();
        string? missing = target.Keys.FirstOrDefault(k => !weights.ContainsKey(k));
        if (missing is not null) throw new InvalidDataException($"{source}: missing key '{missing}' (the model expects it; the file does not have it).");
        string? extra = weights.Keys.FirstOrDefault(k => !target.ContainsKey(k));
        if (extra is not null) throw new InvalidDataException($"{source}: unexpected key '{extra}' (the file has it; the model has no such parameter or buffer).");
        foreach (var (key, destination) in target)
        {
            var value = weights[key];
            if (!destination.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"{source}: key '{key}' has shape [{string.Join(", ", value.shape)}] but the model expects [{string.Join(", ", destination.shape)}].");
        }
        using var noGrad = no_grad();
        foreach (var (key, destination) in target)
            destination.copy_(weights[key].to_type(destination.dtype));
    }

    static float[] ParseFloats(IReadOnlyDictionary<string, string> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var text)) throw new InvalidDataException($"{source}: the metadata has no '{key}' entry.");
        try { return text.Split(',').Select(t => float.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new InvalidDataException($"{source}: metadata '{key}' = '{text}' is not a comma-separated list of numbers."); }
    }
}

/// <summary>A model rebuilt from its weights file, with what the file says about its inputs.</summary>
public sealed class SavedModel(ResNet model, Normalization normalization, string dataset, string path, string fingerprint, IReadOnlyDictionary<string, string> metadata) : IDisposable
{
    /// <summary>The model, in eval mode.</summary>
    public ResNet Model { get; } = model;
    /// <summary>Input normalisation the model was trained with.</summary>
    public Normalization Normalization { get; } = normalization;
    /// <summary>The data set it was trained on, e.g. <c>fashion-mnist:train</c>.</summary>
    public string Dataset { get; } = dataset;
    /// <summary>Absolute path of the weights file.</summary>
    public string Path { get; } = path;
    /// <summary>SHA-256 of the weights file: the fingerprint caches derived from this model carry.</summary>
    public string Fingerprint { get; } = fingerprint;
    /// <summary>The file's whole <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;
    /// <summary>The device the model's parameters are on.</summary>
    public Device Device => Model.parameters().First().device;

    public void Dispose() => Model.Dispose();

    public override string ToString() => $"{Model.Config.Arch} (in {Model.Config.InChannels}, w {Model.Config.Width}, {Model.Config.NumClasses} classes) from {System.IO.Path.GetFileName(Path)}";
}
