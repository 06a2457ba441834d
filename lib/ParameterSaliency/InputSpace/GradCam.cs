using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// Grad-CAM (Selvaraju et al.) on any layer a user names: a forward hook keeps the layer's output A [N, K, h, w];
/// α_k is the spatial mean of ∂f_c/∂A_k and the map is ReLU(Σ_k α_k A_k), upsampled bilinearly to the image, min-max
/// normalised without the percentile clip. The class c is the predicted one unless given. Works on any
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> layer that runs once per forward pass and outputs a 4-D tensor, or tokens
/// [N, 1 + g², D] (a class token, then a g x g grid of patches), which are read as a map [N, D, g, g] without the class
/// token, as pytorch-grad-cam's reshape transform does for Vision Transformers. A <see cref="Models.VisionTransformer"/>
/// is hooked by default at its last block's <c>ln_1</c>: the tokens after it reach the class token only through that
/// block's attention, the last place their gradient is not zero.
/// <example>
/// <code>
/// var cam = new GradCam(model, "layer4");              // PyTorch's module names: "layer3.1", "features.28", ...
/// var map = cam.Explain(test, index: 42);              // for the predicted class
/// var last = new GradCam(model);                       // no name: the last layer with a spatial output
/// </code>
/// </example>
/// </summary>
public sealed class GradCam : IInputExplainer
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ModelInputs inputs;
    string? layer;
    nn.Module<Tensor, Tensor>? hooked;

    /// <summary>
    /// Grad-CAM of <paramref name="model"/> on the module named <paramref name="layer"/> (as <c>named_modules()</c> names it);
    /// null picks, on the first image, the last module in execution order whose output is [N, K, h, w] with h·w &gt; 1.
    /// </summary>
    /// <param name="model">Classifier f whose logits [N, classes] are explained.</param>
    /// <param name="layer">Name of the module to hook as <c>named_modules()</c> names it (e.g. "layer4"); null picks the last spatial layer on the first image.</param>
    public GradCam(nn.Module<Tensor, Tensor> model, string? layer = null)
    {
        Runtime.NativeTorch.EnsureLoaded();
        this.model = model;
        inputs = ModelInputs.Of(model);
        if (layer is null && model is Models.VisionTransformer vit) layer = $"encoder.layers.encoder_layer_{vit.Config.Layers - 1}.ln_1";
        if (layer is not null) hooked = Find(layer);
        this.layer = layer;
    }

    /// <summary>The hooked layer's name (null until the first map when it is chosen automatically).</summary>
    public string? Layer => layer;

    /// <inheritdoc/>
    public string Method => $"Grad-CAM ({layer ?? "last spatial layer"})";

    /// <summary>Grad-CAM of <paramref name="target"/> (default: the predicted class) for image <paramref name="index"/>.</summary>
    /// <param name="data">Data set holding the image (model-ready images and their normalisation).</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="target">Class c whose logit is explained; null for the predicted class.</param>
    public InputHeatmap Explain(ImageDataset data, int index, int? target = null)
    {
        TargetedBatch.CheckIndex(data, index);
        return Explain(data.Images[index], data.Normalization, target, index);
    }

    /// <inheritdoc/>
    public InputHeatmap Explain(Tensor input, Normalization normalization, int? target = null, int? sourceIndex = null)
    {
        using var scope = NewDisposeScope();
        return ExplainBatch(TargetedBatch.Single(inputs, input, "A Grad-CAM map"), normalization, target is int c ? [c] : null, [sourceIndex])[0];
    }

    /// <summary>Grad-CAM of model-ready images [N, C, H, W], each for its own target class (default: its predicted class), from one backward pass.</summary>
    /// <param name="images">Model-ready (normalised) images x [N, C, H, W].</param>
    /// <param name="normalization">Normalisation applied to <paramref name="images"/>, used to recover their pixels in [0, 1].</param>
    /// <param name="targetClasses">Class whose logit is explained for each image (length N); null for every image's predicted class.</param>
    /// <param name="sourceIndices">Index of each image in its data set (length N, entries may be null); null when unknown.</param>
    public IReadOnlyList<InputHeatmap> ExplainBatch(Tensor images, Normalization normalization, int[]? targetClasses = null, int?[]? sourceIndices = null)
    {
        using var scope = NewDisposeScope();
        var batch = TargetedBatch.Prepare(inputs, images, targetClasses, sourceIndices, "A Grad-CAM map");
        using var mode = new Runtime.EvalMode(model);
        if (hooked is null)
        {
            layer = LastSpatialLayer(batch);
            hooked = Find(layer);
        }
        Tensor? output = null;
        int calls = 0;
        var remover = hooked.register_forward_hook((m, input, result) =>
        {
            calls++;
            output?.Dispose();
            output = result.DetachFromDisposeScope();
            // The rest of the model gets a copy: an in-place operation on the layer's output (an in-place ReLU) would
            // otherwise overwrite A and make autograd's node for it the value after that operation.
            return result.clone();
        });
        try
        {
            var logits = model.call(batch.detach());
            remover.remove();
            if (calls != 1 || output is null)
                throw new InvalidOperationException($"Layer '{layer}' ran {calls} times in one forward pass; Grad-CAM needs a layer that runs exactly once.");
            if (output.dim() != 4 && TokenGrid(output) is null)
                throw new InvalidOperationException($"Layer '{layer}' outputs shape [{string.Join(", ", output.shape)}]; Grad-CAM needs a [N, K, h, w] feature map or tokens [N, 1 + g², D].");
            long[] targets = TargetedBatch.Targets(logits, targetClasses);
            var gradient = autograd.grad([TargetedBatch.TargetLogitSum(logits, targets)], [output], allow_unused: true)[0];
            if (gradient is null || gradient.IsInvalid)
                throw new InvalidOperationException($"The logits do not depend on layer '{layer}': no gradient reaches it.");
            var activations = output.dim() == 4 ? output.detach() : AsMap(output.detach());
            var weights = (gradient.dim() == 4 ? gradient : AsMap(gradient)).mean([2, 3], keepdim: true);
            var cam = nn.functional.relu((weights * activations).sum(1, keepdim: true)).detach();
            int height = (int)batch.shape[2], width = (int)batch.shape[3];
            var upsampled = nn.functional.interpolate(cam, [height, width], mode: InterpolationMode.Bilinear, align_corners: false).to(ScalarType.Float32).cpu();
            return Enumerable.Range(0, targets.Length).Select(n =>
                InputHeatmaps.Create(Method, (int)targets[n], sourceIndices?[n], batch.narrow(0, n, 1), normalization, [], upsampled[n].reshape(-1).data<float>().ToArray(), [], 100, 0)).ToArray();
        }
        finally
        {
            remover.remove();
            output?.Dispose();
        }
    }

    /// <summary>The side g of tokens [N, 1 + g², D] (a class token and a square grid of patches); null for any other shape.</summary>
    static long? TokenGrid(Tensor tokens)
    {
        if (tokens.dim() != 3 || tokens.shape[1] < 2) return null;
        long side = (long)Math.Round(Math.Sqrt(tokens.shape[1] - 1));
        return side * side == tokens.shape[1] - 1 ? side : null;
    }

    /// <summary>Tokens [N, 1 + g², D] as a map [N, D, g, g], the class token left out.</summary>
    static Tensor AsMap(Tensor tokens)
    {
        long side = TokenGrid(tokens)!.Value;
        return tokens.narrow(1, 1, side * side).reshape(tokens.shape[0], side, side, tokens.shape[2]).permute(0, 3, 1, 2);
    }

    nn.Module<Tensor, Tensor> Find(string name)
    {
        var module = model.named_modules().FirstOrDefault(m => m.name == name).module;
        if (module is null)
        {
            var names = model.named_children().Select(c => c.name).ToArray();
            throw new ArgumentException($"The model has no layer named '{name}'. Its top-level layers: {string.Join(", ", names)} (nested layers are named with dots, e.g. '{names.LastOrDefault() ?? "layer"}.0').", nameof(name));
        }
        return module as nn.Module<Tensor, Tensor>
               ?? throw new ArgumentException($"Layer '{name}' is a {module.GetType().Name}, not a module from one tensor to one tensor: its output cannot be hooked.", nameof(name));
    }

    /// <summary>The last module, in execution order, whose output is a 4-D map with more than one position.</summary>
    string LastSpatialLayer(Tensor batch)
    {
        var finished = new List<string>();
        var removers = new List<Action>();
        foreach (var (name, module) in model.named_modules())
            if (name.Length > 0 && module is nn.Module<Tensor, Tensor> layerModule)
            {
                var remover = layerModule.register_forward_hook((m, input, output) =>
                {
                    if (output.dim() == 4 && output.shape[2] * output.shape[3] > 1) finished.Add(name);
                    return output;
                });
                removers.Add(remover.remove);
            }
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.call(batch.narrow(0, 0, 1));
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
        return finished.LastOrDefault() ?? throw new InvalidOperationException("No layer of the model outputs a spatial [N, K, h, w] map with h·w > 1: Grad-CAM has nothing to weigh.");
    }
}
