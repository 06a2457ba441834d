using System.Globalization;
using System.Security.Cryptography;
using TorchSharp;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// Saves and loads model weights as safetensors with PyTorch state-dict names. The <c>__metadata__</c> records
/// <c>arch</c>, <c>mean</c>, <c>std</c> and <c>dataset</c>, and what the weights cannot say (a ResNet's
/// <c>in_channels</c>, <c>width</c>, <c>num_classes</c>; a Vision Transformer's <c>heads</c>), so the file alone rebuilds its model.
/// </summary>
public static class ModelFile
{
    /// <summary>Writes the model's state dict (parameters and buffers) atomically.</summary>
    /// <param name="model">The ResNet whose parameters and buffers are written; its <see cref="ResNet.Config"/> goes into the metadata.</param>
    /// <param name="normalization">Input normalisation the model was trained with, recorded as <c>mean</c> and <c>std</c>.</param>
    /// <param name="dataset">Name of the training data set, recorded as <c>dataset</c>, e.g. <c>fashion-mnist:train</c>.</param>
    /// <param name="path">Where the safetensors file is written.</param>
    /// <param name="extraMetadata">More <c>__metadata__</c> entries (e.g. <c>final_lr</c>), overriding standard ones with the same key; null for none.</param>
    public static void Save(ResNet model, Normalization normalization, string dataset, string path, IReadOnlyDictionary<string, string>? extraMetadata = null) =>
        Save((nn.Module<Tensor, Tensor>)model, normalization, dataset, path, extraMetadata);

    /// <summary>Writes the state dict of a <see cref="ResNet"/>, <see cref="VisionTransformer"/> or <see cref="Mlp"/> atomically, with what rebuilds it.</summary>
    /// <param name="model">The model whose parameters and buffers are written.</param>
    /// <param name="normalization">Input normalisation the model was trained with, recorded as <c>mean</c> and <c>std</c>.</param>
    /// <param name="dataset">Name of the training data set, recorded as <c>dataset</c>, e.g. <c>fashion-mnist:train</c>.</param>
    /// <param name="path">Where the safetensors file is written.</param>
    /// <param name="extraMetadata">More <c>__metadata__</c> entries (e.g. <c>final_lr</c>), overriding standard ones with the same key; null for none.</param>
    public static void Save(nn.Module<Tensor, Tensor> model, Normalization normalization, string dataset, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        IReadOnlyDictionary<string, string> rebuild = model switch
        {
            ResNet resnet => resnet.Config.ToMetadata(),
            VisionTransformer vit => new Dictionary<string, string> { ["arch"] = vit.Config.Name, ["heads"] = vit.Config.Heads.ToString(CultureInfo.InvariantCulture) },
            Mlp => new Dictionary<string, string> { ["arch"] = "mlp" },
            _ => throw new ArgumentException($"Saving a {model.GetType().Name} is not supported: ResNet, VisionTransformer and Mlp files rebuild themselves."),
        };
        var metadata = new Dictionary<string, string>(rebuild)
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

    /// <summary>
    /// Rebuilds the model a weights file describes, loads its weights, puts it in eval mode on <paramref name="device"/>
    /// (default: <see cref="Runtime.NativeTorch.DefaultDevice"/>). Our safetensors files say everything themselves.
    /// Other files need the architecture (<paramref name="arch"/>, see <see cref="Architectures"/>; classes, input
    /// channels and a ResNet's width are read from the weights) and the input normalisation
    /// (<paramref name="normalization"/>, e.g. <see cref="Normalization.ImageNet"/>): PyTorch checkpoints
    /// (<c>.pth</c>, <c>.pt</c>, see <see cref="PyTorchCheckpoint"/>) and safetensors files without our metadata.
    /// </summary>
    /// <param name="path">A safetensors file, or a PyTorch checkpoint (<c>.pth</c>/<c>.pt</c>).</param>
    /// <param name="device">Where the model is moved; null for <see cref="Runtime.NativeTorch.DefaultDevice"/>.</param>
    /// <param name="arch">Architecture name for a file that does not record one; must match the file's <c>arch</c> if it does; null otherwise.</param>
    /// <param name="normalization">Input normalisation for a file that does not record one; must equal the recorded one if it does; null otherwise.</param>
    /// <param name="heads">Attention heads per block of a Vision Transformer loaded with <c>arch: "vit"</c> (they cannot be read from its weights); null otherwise.</param>
    public static SavedModel Load(string path, Device? device = null, string? arch = null, Normalization? normalization = null, int? heads = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        if (!File.Exists(path)) throw new FileNotFoundException($"No weights file at '{path}'.", path);
        byte[] bytes = File.ReadAllBytes(path);
        string fingerprint = Convert.ToHexStringLower(SHA256.HashData(bytes));
        bool pytorch = path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase);
        using var content = pytorch ? null : SafeTensors.Parse(bytes, path);
        var read = content?.Tensors ?? PyTorchCheckpoint.ReadStateDict(path);
        // A Vision Transformer saved with the older MLP spelling loads under the current one (the same tensors).
        var weights = arch is not null && arch.StartsWith("vit", StringComparison.Ordinal) ? VitConfig.CurrentNames(read) : read;
        var metadata = content?.Metadata.ToDictionary() ?? [];
        try
        {
            string? named = metadata.GetValueOrDefault("arch");
            if (arch is not null && named is not null && arch != named)
                throw new InvalidDataException($"{path} holds a {named}, not a {arch}: leave --arch out, or give the file of a {arch}.");
            // Our ResNet files record their config (with a width); every other file is built by its architecture from its weights.
            bool recordedResNet = named is not null && metadata.ContainsKey("width");
            var architecture = recordedResNet ? null : Architectures.Named(named ?? arch ?? throw new ArgumentException(
                $"{path} does not say which architecture it holds: give it (--arch NAME; 'saliency models' lists them)."));
            if (heads is null && metadata.TryGetValue("heads", out var recordedHeads))
                heads = int.TryParse(recordedHeads, NumberStyles.Integer, CultureInfo.InvariantCulture, out int h) && h > 0 ? h
                    : throw new InvalidDataException($"{path}: metadata 'heads' = '{recordedHeads}' is not a positive integer.");
            // The initial weights are overwritten next: drawn without moving the random sequence of a caller that seeded it.
            var model = Runtime.GlobalRandom.Preserving<nn.Module<Tensor, Tensor>>(() => architecture is null
                ? new ResNet(ResNetConfig.FromMetadata(metadata, path))
                : architecture.BuildFor(weights, path, heads));
            try
            {
                StateDict.CopyInto(model, weights, path);
                var inputs = Saliency.ModelInputs.Of(model);
                int inChannels = (int)inputs.Channels, classes = (int)(inputs.Classes ?? 0);
                var inputNormalization = InputNormalization(metadata, normalization, inChannels, path);
                model.to(device ?? Runtime.NativeTorch.DefaultDevice);
                model.eval();
                if (!Saliency.ExactReference.IsRegistered(model)) // a ResNet registers itself; others are read again from their file
                {
                    string fullPath = Path.GetFullPath(path);
                    Saliency.ExactReference.Register(model, () => Load(fullPath, Runtime.NativeTorch.DefaultDevice, named ?? arch, normalization, heads).Model);
                }
                string dataset = metadata.TryGetValue("dataset", out var name) ? name : "unknown";
                return new SavedModel(model, named ?? arch!, inChannels, classes, inputNormalization, dataset, Path.GetFullPath(path), fingerprint, metadata);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            if (content is null) foreach (var tensor in weights.Values) tensor.Dispose();
        }
    }

    /// <summary>The normalisation a file records (our metadata), else the one given; both, when they differ, is an error.</summary>
    static Normalization InputNormalization(IReadOnlyDictionary<string, string> metadata, Normalization? given, int inChannels, string path)
    {
        Normalization? recorded = metadata.ContainsKey("mean") || metadata.ContainsKey("std")
            ? new Normalization(ParseFloats(metadata, "mean", path), ParseFloats(metadata, "std", path))
            : null;
        if (recorded is not null && given is not null && !(recorded.Mean.SequenceEqual(given.Mean) && recorded.Std.SequenceEqual(given.Std)))
            throw new ArgumentException($"{path} records its input normalisation (mean {string.Join(",", recorded.Mean)}, std {string.Join(",", recorded.Std)}); " +
                                        "the one given differs. Leave --mean/--std/--normalize out for this file.");
        var normalization = recorded ?? given ?? throw new ArgumentException(
            $"{path} does not record how its inputs were normalised: give --normalize imagenet|cifar10|fashion-mnist, or --mean m1,m2,... --std s1,s2,...");
        if (normalization.Mean.Length != inChannels || normalization.Std.Length != inChannels)
            throw new InvalidDataException($"{path}: mean/std have {normalization.Mean.Length}/{normalization.Std.Length} entries but the model has {inChannels} input channels.");
        return normalization;
    }

    static float[] ParseFloats(IReadOnlyDictionary<string, string> metadata, string key, string source)
    {
        if (!metadata.TryGetValue(key, out var text)) throw new InvalidDataException($"{source}: the metadata has no '{key}' entry.");
        try { return text.Split(',').Select(t => float.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
        catch (FormatException) { throw new InvalidDataException($"{source}: metadata '{key}' = '{text}' is not a comma-separated list of numbers."); }
    }
}

/// <summary>A model rebuilt from its weights file, with what the file says about its inputs.</summary>
/// <param name="model">The rebuilt model, in eval mode.</param>
/// <param name="arch">Its architecture's name.</param>
/// <param name="inChannels">Input channels C.</param>
/// <param name="numClasses">Classes (logits).</param>
/// <param name="normalization">Input normalisation the model was trained with.</param>
/// <param name="dataset">The data set it was trained on, or <c>unknown</c>.</param>
/// <param name="path">Absolute path of the weights file.</param>
/// <param name="fingerprint">SHA-256 of the weights file, lower-case hex.</param>
/// <param name="metadata">The file's whole <c>__metadata__</c> (empty for a PyTorch checkpoint).</param>
public sealed class SavedModel(nn.Module<Tensor, Tensor> model, string arch, int inChannels, int numClasses, Normalization normalization, string dataset, string path, string fingerprint,
    IReadOnlyDictionary<string, string> metadata) : IDisposable
{
    /// <summary>The model, in eval mode.</summary>
    public nn.Module<Tensor, Tensor> Model { get; } = model;
    /// <summary>Its architecture's name (see <see cref="Architectures"/>).</summary>
    public string Arch { get; } = arch;
    /// <summary>Input channels C.</summary>
    public int InChannels { get; } = inChannels;
    /// <summary>Classes (logits).</summary>
    public int NumClasses { get; } = numClasses;
    /// <summary>Input normalisation the model was trained with.</summary>
    public Normalization Normalization { get; } = normalization;
    /// <summary>The data set it was trained on, e.g. <c>fashion-mnist:train</c>; <c>unknown</c> when the file does not say.</summary>
    public string Dataset { get; } = dataset;
    /// <summary>Absolute path of the weights file.</summary>
    public string Path { get; } = path;
    /// <summary>SHA-256 of the weights file: the fingerprint caches derived from this model carry.</summary>
    public string Fingerprint { get; } = fingerprint;
    /// <summary>The file's whole <c>__metadata__</c> (empty for a PyTorch checkpoint).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;
    /// <summary>The device the model's parameters are on.</summary>
    public Device Device => Model.parameters().First().device;

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Arch} (in {InChannels}{(Model is ResNet resnet ? $", w {resnet.Config.Width}" : "")}, {NumClasses} classes) from {System.IO.Path.GetFileName(Path)}";
}
