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
    /// <summary>The architecture <paramref name="arch"/> (see <see cref="Architectures"/>) with the weights of <paramref name="path"/>; classes and input channels are read from the weights. In eval mode.</summary>
    /// <param name="path">A zip-format <c>torch.save(state_dict)</c> file (<c>.pth</c>/<c>.pt</c>).</param>
    /// <param name="arch">Architecture name from <see cref="Architectures"/>, e.g. <c>resnet50</c>.</param>
    public static nn.Module<Tensor, Tensor> Load(string path, string arch)
    {
        var architecture = Architectures.Named(arch); // an unknown name is refused before the file is read
        return WithStateDict(path, state =>
        {
            var model = architecture.BuildFor(state, path);
            try
            {
                StateDict.CopyInto(model, state, path);
            }
            catch
            {
                model.Dispose();
                throw;
            }
            model.eval();
            return model;
        });
    }

    /// <summary>Copies the weights of <paramref name="path"/> into <paramref name="model"/>, whose parameter and buffer names must be PyTorch's.</summary>
    /// <param name="model">The module whose parameters and buffers are overwritten in place.</param>
    /// <param name="path">A zip-format <c>torch.save(state_dict)</c> file.</param>
    public static void LoadInto(nn.Module model, string path) =>
        WithStateDict(path, state =>
        {
            StateDict.CopyInto(model, state, path);
            return 0;
        });

    /// <summary>Reads the state dict of <paramref name="path"/>, hands it to <paramref name="use"/>, then frees its tensors.</summary>
    static T WithStateDict<T>(string path, Func<Dictionary<string, Tensor>, T> use)
    {
        var state = ReadStateDict(path);
        try
        {
            return use(state);
        }
        finally
        {
            foreach (var tensor in state.Values) tensor.Dispose();
        }
    }

    /// <summary>Writes <paramref name="model"/>'s state dict as <c>torch.save</c> would (zip format), atomically.</summary>
    /// <param name="model">The module whose parameters and buffers are written (detached, copied to the CPU).</param>
    /// <param name="path">Where the checkpoint is written.</param>
    public static void Save(nn.Module model, string path)
    {
        var state = new Hashtable();
        foreach (var (name, tensor) in model.state_dict()) state[name] = tensor.detach().cpu();
        Serialization.AtomicFile.Write(path, stream => TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, state, leaveOpen: true));
    }

    /// <summary>
    /// A tensor made by a second copy of TorchSharp.dll in this process, as our own tensor (a copy), or null for anything else.
    /// Notebook kernels (Roslyn's interactive loader) load each assembly in a context of its own and can bind
    /// TorchSharp.PyBridge to a second TorchSharp from the same file: its tensors are then of another type, though
    /// they live in the same libtorch. The copy is made through the native handle; the foreign tensor is disposed.
    /// </summary>
    static Tensor? FromAnotherTorchSharpCopy(object? value)
    {
        if (value is null || value.GetType().FullName != typeof(Tensor).FullName || value.GetType() == typeof(Tensor)) return null;
        var handle = (IntPtr)(value.GetType().GetProperty(nameof(Tensor.Handle))?.GetValue(value) ?? IntPtr.Zero);
        if (handle == IntPtr.Zero) return null;
        // A second managed wrapper of the same native tensor: used once to clone, then never disposed or finalized
        // (the foreign wrapper owns the handle and frees it).
        var view = Tensor.UnsafeCreateTensor(handle).DetachFromDisposeScope();
        GC.SuppressFinalize(view);
        var copy = view.clone();
        ((IDisposable)value).Dispose();
        return copy;
    }

    /// <summary>
    /// Runs <paramref name="read"/> with the garbage collector held off where it can be (a no-GC region sized for the file).
    /// PyBridge builds each tensor as <c>as_strided</c> of a temporary tensor it does not keep: a collection during that
    /// native call can finalise the temporary and free it under libtorch, which then fails with "There were no tensor
    /// arguments to this function" (seen once in a suite run, 2026-12-07, reading torchvision's DenseNet-121). Without a
    /// collection nothing allocated during the read can be finalised. When a region cannot be had (the file is too large,
    /// another thread holds one) or other threads' allocations end it early, the read runs as before.
    /// </summary>
    static T WithoutCollection<T>(long fileBytes, Func<T> read)
    {
        bool held;
        try
        {
            held = GC.TryStartNoGCRegion(2 * fileBytes + (64L << 20));
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            held = false;
        }
        try
        {
            return read();
        }
        finally
        {
            if (held && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
    }

    /// <summary>The state dict of a <c>torch.save</c> file, unwrapped (nesting under <c>state_dict</c>/<c>model</c>, <c>module.</c> prefixes). The caller disposes the tensors.</summary>
    /// <param name="path">A zip-format <c>torch.save</c> file holding a state dict.</param>
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
            content = WithoutCollection(new FileInfo(path).Length, () => TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path));
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
            else if (FromAnotherTorchSharpCopy(entry.Value) is { } adopted) tensors[(string)entry.Key] = adopted;
            else if (entry.Value is Hashtable or ArrayList)
                throw new InvalidDataException($"{path}: '{entry.Key}' holds a nested structure, not a tensor; keys: {string.Join(", ", content.Keys.Cast<object>().Take(StateDict.NamedKeys))}.");
        }
        if (tensors.Count == 0) throw new InvalidDataException($"{path} holds no tensors (keys: {string.Join(", ", content.Keys.Cast<object>().Take(StateDict.NamedKeys))}).");
        if (tensors.Keys.All(k => k.StartsWith("module.", StringComparison.Ordinal)))
            tensors = tensors.ToDictionary(e => e.Key["module.".Length..], e => e.Value, StringComparer.Ordinal);
        return tensors;
    }
}
