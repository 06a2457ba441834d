using System.Collections;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// PyTorch checkpoints: <c>torch.save(model.state_dict())</c> files (<c>.pth</c>/<c>.pt</c>, zip format), read with
/// TorchSharp.PyBridge. Accepts the usual wrappings: a dict nested under <c>state_dict</c> or <c>model</c>, keys
/// prefixed <c>module.</c> by DataParallel, and BatchNorm's <c>num_batches_tracked</c> present or not. Legacy
/// (pre-1.6) files and pickled whole models are refused with their own message; a state dict that does not fit
/// the model names its missing, unexpected and wrongly shaped keys.
/// <code>
/// using var model = PyTorchCheckpoint.Load("resnet50.pth", "resnet50");     // classes, channels from the weights
/// PyTorchCheckpoint.LoadInto(myModule, "mine.pth");                         // any module with PyTorch names
/// PyTorchCheckpoint.Save(model, "tuned.pth");                               // torch.load reads it
/// </code>
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>At most this many keys of each kind are named in an error.</summary>
    public const int NamedKeys = 5;

    /// <summary>The architecture <paramref name="arch"/> (see <see cref="Architectures"/>) with the weights of <paramref name="path"/>; classes and input channels are read from the weights. In eval mode.</summary>
    public static nn.Module<Tensor, Tensor> Load(string path, string arch)
    {
        var architecture = Architectures.Named(arch);
        var state = ReadStateDict(path);
        try
        {
            var (classes, channels) = InferShape(architecture, state, path);
            var model = architecture.Build(classes, channels);
            LoadInto(model, state, path);
            model.eval();
            return model;
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }

    /// <summary>Copies the weights of <paramref name="path"/> into <paramref name="model"/>, whose parameter and buffer names must be PyTorch's.</summary>
    public static void LoadInto(nn.Module model, string path)
    {
        var state = ReadStateDict(path);
        try
        {
            LoadInto(model, state, path);
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }

    /// <summary>Writes <paramref name="model"/>'s state dict as <c>torch.save</c> would (zip format), atomically.</summary>
    public static void Save(nn.Module model, string path)
    {
        var state = new Hashtable();
        foreach (var (name, tensor) in model.state_dict()) state[name] = tensor.detach().cpu();
        Serialization.AtomicFile.Write(path, stream => TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true));
    }

    /// <summary>The state dict of a <c>torch.save</c> file, unwrapped (nesting under <c>state_dict</c>/<c>model</c>, <c>module.</c> prefixes). The caller disposes the tensors.</summary>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No checkpoint at {path}.", path);
        var signature = new byte[4];
        using (var file = File.OpenRead(path)) file.ReadAtLeast(signature, 4, throwOnEndOfStream: false);
        if (signature is not [0x50, 0x4b, 0x03, 0x04]) // a zip file's local header
            throw new InvalidDataException($"{path} is not a zip-format torch.save file: written in PyTorch's legacy (pre-1.6) format, or not by torch.save. " +
                                           "Re-save it in PyTorch: torch.save(torch.load(path), new_path).");
        Hashtable content;
        try
        {
            content = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is Razorvine.Pickle.PickleException or InvalidCastException or InvalidOperationException or NotImplementedException)
        {
            throw new InvalidDataException($"{path} is not a state dict: it looks like a pickled whole model (torch.save(model)), which needs the Python classes to read. " +
                                           $"Save model.state_dict() instead. ({e.Message})");
        }
        foreach (string wrapper in new[] { "state_dict", "model" })
            if (content[wrapper] is Hashtable nested && !content.Values.OfType<Tensor>().Any()) content = nested;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in content)
        {
            if (entry.Value is Tensor tensor) tensors[(string)entry.Key] = tensor;
            else if (entry.Value is Hashtable or ArrayList)
                throw new InvalidDataException($"{path}: '{entry.Key}' holds a nested structure, not a tensor; keys: {string.Join(", ", content.Keys.Cast<object>().Take(NamedKeys))}.");
        }
        if (tensors.Count == 0) throw new InvalidDataException($"{path} holds no tensors (keys: {string.Join(", ", content.Keys.Cast<object>().Take(NamedKeys))}).");
        if (tensors.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
            tensors = tensors.ToDictionary(e => e.Key["module.".Length..], e => e.Value, StringComparer.Ordinal);
        return tensors;
    }

    static void LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var expected = model.state_dict();
        static bool Optional(string key) => key.EndsWith("num_batches_tracked", StringComparison.Ordinal);
        var missing = expected.Keys.Where(k => !state.ContainsKey(k) && !Optional(k)).ToArray();
        var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).ToArray();
        var misshaped = expected.Where(e => state.TryGetValue(e.Key, out var t) && !t.shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key} [{string.Join(", ", state[e.Key].shape)}], the model's [{string.Join(", ", e.Value.shape)}]").ToArray();
        if (missing.Length + unexpected.Length + misshaped.Length > 0)
        {
            string Named(string what, string[] keys) => keys.Length == 0 ? "" :
                $" {keys.Length} {what}: {string.Join("; ", keys.Take(NamedKeys))}{(keys.Length > NamedKeys ? "; …" : "")}.";
            throw new InvalidDataException($"{source} does not fit the model ({expected.Count} tensors in the model, {state.Count} in the file)." +
                                           Named("missing", missing) + Named("unexpected", unexpected) + Named("with another shape", misshaped));
        }
        using var noGrad = no_grad();
        foreach (var (name, target) in expected)
            if (state.TryGetValue(name, out var value)) target.copy_(value.to(target.dtype));
    }

    /// <summary>Classes (rows of the last 2-D parameter) and input channels (columns of the first 4-D one), read from the weights by the architecture's names.</summary>
    static (int Classes, int Channels) InferShape(Architecture architecture, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        using var probe = architecture.Build(architecture.DefaultClasses, architecture.DefaultInChannels);
        var parameters = probe.named_parameters().ToArray();
        string first = parameters.First(p => p.parameter.dim() == 4).name, last = parameters.Last(p => p.parameter.dim() == 2).name;
        if (!state.TryGetValue(first, out var stem) || stem.dim() != 4 || !state.TryGetValue(last, out var head) || head.dim() != 2)
            throw new InvalidDataException($"{source} has no 4-D '{first}' and 2-D '{last}': not weights of {architecture.Name}?");
        return ((int)head.shape[0], (int)stem.shape[1]);
    }
}
