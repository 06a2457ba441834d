using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Per-sample gradients for a whole batch at once. Forward hooks capture every relevant layer's
/// input and output; one autograd.grad of the summed per-sample losses gives ∂L_n/∂output for
/// every sample n (in eval mode samples do not interact); each layer's per-sample weight
/// gradient is then a batched matrix product with its input patches (im2col), reduced to the
/// profile's entries chunk by chunk (<see cref="PerSampleConvolution"/>, <see cref="PerSampleLinear"/>); a float32 pass's
/// convolution weights instead have their magnitudes summed in registers, every layer of the pass in one parallel loop
/// (<see cref="ConvolutionGradientSums"/>). Supports Conv2d
/// (groups = 1), BatchNorm2d (eval mode), Linear parameters (on [N, in] or token inputs [N, T, in]) and the q, k, v
/// projection of this library's attention (<see cref="Models.SelfAttention"/>), whose heads also take out_proj's gradients.
/// </summary>
internal sealed class BatchedEngine
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ProfileLayout layout;
    readonly (ProfileSegment Segment, nn.Module Owner, bool IsWeight, nn.Module? OutProjection)[] plan;
    readonly nn.Module[] hooked;

    BatchedEngine(nn.Module<Tensor, Tensor> model, ProfileLayout layout, (ProfileSegment, nn.Module, bool, nn.Module?)[] plan)
    {
        this.model = model;
        this.layout = layout;
        this.plan = plan;
        hooked = plan.SelectMany(p => p.Item4 is { } o ? new[] { p.Item2, o } : [p.Item2]).Distinct().ToArray();
        outputsStayUntouched = model.GetType().Assembly == typeof(BatchedEngine).Assembly;
    }

    readonly bool outputsStayUntouched;

    /// <summary>The engine for <paramref name="model"/>, or null with the reason when some parameter of the layout is not supported.</summary>
    public static BatchedEngine? TryCreate(nn.Module<Tensor, Tensor> model, ProfileLayout layout, out string? reason)
    {
        var owners = new Dictionary<string, (nn.Module Module, bool IsWeight)>(StringComparer.Ordinal);
        foreach (var (name, module) in model.named_modules())
        {
            string prefix = name.Length == 0 ? "" : name + ".";
            owners[prefix + "weight"] = (module, true);
            owners[prefix + "bias"] = (module, false);
            if (module is Models.SelfAttention)
            {
                owners[prefix + "in_proj_weight"] = (module, true);
                owners[prefix + "in_proj_bias"] = (module, false);
            }
        }
        var plan = new List<(ProfileSegment, nn.Module, bool, nn.Module?)>();
        foreach (var segment in layout.Segments)
        {
            if (!owners.TryGetValue(segment.Parameter, out var owner))
            {
                reason = $"'{segment.Parameter}' does not belong to a Conv2d, BatchNorm2d, Linear or attention layer";
                return null;
            }
            if (!Supported(owner.Module, out reason)) return null;
            nn.Module? outProjection = segment.OutProjection is { } o ? owners[o.Parameter].Module : null;
            plan.Add((segment, owner.Module, owner.IsWeight, outProjection));
        }
        reason = null;
        return new BatchedEngine(model, layout, plan.ToArray());
    }

    static bool Supported(nn.Module module, out string? reason)
    {
        reason = module switch
        {
            Conv2d { groups: not 1 } => "grouped convolutions are not supported by the batched engine",
            Conv2d { padding: null } => "convolutions with 'same'/'valid' padding modes are not supported by the batched engine",
            Conv2d { padding_mode: not PaddingModes.Zeros } => "only zero padding is supported by the batched engine",
            Conv2d or BatchNorm2d or Linear or Models.SelfAttention => null,
            _ => $"layer type {module.GetType().Name} is not supported by the batched engine",
        };
        return reason is null;
    }

    /// <summary>
    /// Profiles [N, layout.Length] of images [N, C, H, W] with labels [N] (no graph: the fast path). When
    /// <paramref name="check"/> is given, the pass's ReLUs are watched and judged by it, the images counting as rows
    /// <paramref name="firstRow"/> onwards (float32 models only).
    /// </summary>
    public Tensor Profile(Tensor images, Tensor labels, SettlingCheck? check = null, int firstRow = 0) => Run(images, labels, differentiable: false, check, firstRow);

    /// <summary>
    /// Profiles [N, layout.Length] that stay differentiable with respect to <paramref name="images"/> (which should
    /// require grad): per-sample gradients built with <c>create_graph</c>, for batched input-space heatmaps. Row n
    /// depends on image n alone, so ∂/∂x_n of Σ_m f(row m) is ∂f(row n)/∂x_n. <paramref name="check"/>, when given,
    /// judges the pass's ReLUs as in <see cref="Profile"/>.
    /// </summary>
    public Tensor Differentiable(Tensor images, Tensor labels, SettlingCheck? check = null) => Run(images, labels, differentiable: true, check, firstRow: 0);

    Tensor Run(Tensor images, Tensor labels, bool differentiable, SettlingCheck? check, int firstRow)
    {
        using var scope = NewDisposeScope();
        // Layers' inputs and outputs live in the model's own dispose scopes (and Sequential frees its
        // intermediates), so the hook keeps handles of its own: the layer's input (detached on the fast path:
        // the layer saved it for its own backward, so autograd would refuse any in-place change of it) and the
        // layer's output, whose gradient ∂L/∂output we take. A later in-place operation on the output (an
        // in-place ReLU) would change which tensor that gradient belongs to, so the rest of the model gets a
        // copy, except in this library's own architectures, which never write into a layer's output (the copy
        // costs 6-9% of a batched profile of the default model).
        var inputs = new Dictionary<nn.Module, Tensor>();
        var outputs = new Dictionary<nn.Module, Tensor>();
        var removers = new List<Action>();
        using var kinks = ReluKinks.Watch(model, images, check);
        try
        {
            Tensor Keep(nn.Module m, Tensor input, Tensor output)
            {
                inputs[m] = (differentiable ? input.alias() : input.detach()).DetachFromDisposeScope();
                outputs[m] = output.DetachFromDisposeScope();
                return outputsStayUntouched ? output.alias() : output.clone();
            }
            foreach (var module in hooked.Cast<nn.Module<Tensor, Tensor>>())
            {
                if (module is Models.SelfAttention attention) // its hooked "output" is the q, k, v projection's
                {
                    attention.InProjectionHook = (input, projected) => Keep(attention, input, projected);
                    removers.Add(() => attention.InProjectionHook = null);
                }
                else
                {
                    var remover = module.register_forward_hook((m, input, output) => Keep(m, input, output));
                    removers.Add(remover.remove);
                }
            }
            var loss = SaliencyLoss.Of(model.call(images), labels, sum: true);
            var layers = hooked.Where(outputs.ContainsKey).ToArray();
            var watched = kinks?.Outputs ?? [];
            var outputGradients = autograd.grad([loss], [.. layers.Select(m => outputs[m]), .. watched], retain_graph: differentiable, create_graph: differentiable, allow_unused: true);
            if (kinks is not null) check!.Add(kinks, outputGradients.Skip(layers.Length).ToArray(), images, firstRow);
            var gradientOf = new Dictionary<nn.Module, Tensor>();
            for (int i = 0; i < layers.Length; i++) gradientOf[layers[i]] = LoopEngine.GradientOrZero(outputGradients[i], outputs[layers[i]]);

            long samples = images.shape[0];
            // The convolution weights whose per-sample gradient magnitudes are summed in registers, all layers in one parallel loop.
            var summed = plan.Where(step => step.Owner is Conv2d && step.IsWeight && gradientOf.ContainsKey(step.Owner) &&
                                            PerSampleConvolution.Summable(layout, differentiable, inputs[step.Owner], gradientOf[step.Owner]))
                             .Select(step => (Conv2d)step.Owner).Distinct().ToArray();
            var sumsOf = summed.Zip(ConvolutionGradientSums.Of(summed.Select(conv => (conv, inputs[conv], gradientOf[conv])).ToArray())).ToDictionary(p => (nn.Module)p.First, p => p.Second);
            var parts = plan.Select(step =>
            {
                var (segment, owner, isWeight, outProjection) = step;
                if (!gradientOf.TryGetValue(owner, out var outputGradient)) // layer never ran: no part in the loss
                    return zeros(samples, segment.Length, dtype: images.dtype, device: images.device);
                if (owner is Conv2d conv && isWeight)
                    return sumsOf.TryGetValue(owner, out var sums) ? PerSampleConvolution.FromSums(conv, sums, layout.Aggregation)
                        : PerSampleConvolution.Reduced(conv, inputs[owner], outputGradient, layout, differentiable);
                if (owner is Linear or Models.SelfAttention && isWeight)
                    return PerSampleLinear.Reduced(layout, segment, inputs[owner], outputGradient,
                        outProjection is null ? null : (inputs[outProjection], gradientOf[outProjection]));
                return layout.Reduce(segment, PerSampleGradient(owner, isWeight, inputs[owner], outputGradient));
            }).ToArray();
            return cat(parts, 1).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var remove in removers) remove();
            foreach (var tensor in inputs.Values.Concat(outputs.Values)) tensor.Dispose();
        }
    }

    /// <summary>Per-sample gradients [N, *shape] of the parameters other than convolution weights.</summary>
    static Tensor PerSampleGradient(nn.Module owner, bool isWeight, Tensor input, Tensor outputGradient)
    {
        switch (owner)
        {
            case Conv2d:
                return outputGradient.sum([2, 3]);
            case BatchNorm2d norm when isWeight:
            {
                using Scalar epsilon = norm.eps;
                var normalised = (input - norm.running_mean!.reshape(1, -1, 1, 1)) / (norm.running_var!.reshape(1, -1, 1, 1) + epsilon).sqrt();
                return (outputGradient * normalised).sum([2, 3]);
            }
            case BatchNorm2d:
                return outputGradient.sum([2, 3]);
            case Linear or Models.SelfAttention when !isWeight:
                return PerSampleLinear.BiasGradients(outputGradient);
            default:
                throw new InvalidOperationException($"unsupported layer {owner.GetType().Name}");
        }
    }
}
