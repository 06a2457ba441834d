using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// Per-sample gradients for a whole batch at once. Forward hooks capture every relevant layer's
/// input and output; one autograd.grad of the summed per-sample losses gives ∂L_n/∂output for
/// every sample n (in eval mode samples do not interact); each layer's per-sample weight
/// gradient is then a batched matrix product with its input patches (im2col). Supports Conv2d
/// (groups = 1), BatchNorm2d (eval mode) and Linear parameters.
/// </summary>
internal sealed class BatchedEngine
{
    readonly nn.Module<Tensor, Tensor> model;
    readonly ProfileLayout layout;
    readonly (ProfileSegment Segment, nn.Module Owner, bool IsWeight)[] plan;
    readonly nn.Module[] hooked;

    BatchedEngine(nn.Module<Tensor, Tensor> model, ProfileLayout layout, (ProfileSegment, nn.Module, bool)[] plan)
    {
        this.model = model;
        this.layout = layout;
        this.plan = plan;
        hooked = plan.Select(p => p.Item2).Distinct().ToArray();
    }

    /// <summary>The engine for <paramref name="model"/>, or null with the reason when some parameter of the layout is not supported.</summary>
    public static BatchedEngine? TryCreate(nn.Module<Tensor, Tensor> model, ProfileLayout layout, out string? reason)
    {
        var owners = new Dictionary<string, (nn.Module Module, bool IsWeight)>(StringComparer.Ordinal);
        foreach (var (name, module) in model.named_modules())
        {
            string prefix = name.Length == 0 ? "" : name + ".";
            owners[prefix + "weight"] = (module, true);
            owners[prefix + "bias"] = (module, false);
        }
        var plan = new List<(ProfileSegment, nn.Module, bool)>();
        foreach (var segment in layout.Segments)
        {
            if (!owners.TryGetValue(segment.Parameter, out var owner))
            {
                reason = $"'{segment.Parameter}' does not belong to a Conv2d, BatchNorm2d or Linear layer";
                return null;
            }
            if (!Supported(owner.Module, out reason)) return null;
            plan.Add((segment, owner.Module, owner.IsWeight));
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
            Conv2d or BatchNorm2d or Linear => null,
            _ => $"layer type {module.GetType().Name} is not supported by the batched engine",
        };
        return reason is null;
    }

    /// <summary>Widest convolution (output channels) among the hooked layers.</summary>
    public long MaxConvChannels => hooked.OfType<Conv2d>().Select(c => c.out_channels).DefaultIfEmpty(0).Max();

    /// <summary>Profiles [N, layout.Length] of images [N, C, H, W] with labels [N].</summary>
    public Tensor Profile(Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        // Layers' inputs and outputs live in the model's own dispose scopes (and Sequential frees
        // its intermediates), so the hook keeps nothing of the model's: it copies the layer's
        // input, and adds to the layer's output a zero tensor δ that we own, with requires_grad.
        // Then ∂L/∂δ = ∂L/∂output, for every sample at once.
        var inputs = new Dictionary<nn.Module, Tensor>();
        var probes = new Dictionary<nn.Module, Tensor>();
        var removers = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        try
        {
            foreach (var module in hooked.Cast<nn.Module<Tensor, Tensor>>())
                removers.Add(module.register_forward_hook((m, input, output) =>
                {
                    inputs[m] = input.detach().clone().DetachFromDisposeScope();
                    var probe = zeros_like(output, requires_grad: true).DetachFromDisposeScope();
                    probes[m] = probe;
                    return output + probe;
                }));
            var logits = model.call(images);
            var loss = SaliencyLoss.Of(logits, labels, sum: true);
            var layers = hooked.Where(probes.ContainsKey).ToArray();
            var outputGradients = autograd.grad([loss], layers.Select(m => probes[m]).ToArray(), allow_unused: true);
            var gradientOf = new Dictionary<nn.Module, Tensor>();
            for (int i = 0; i < layers.Length; i++) gradientOf[layers[i]] = LoopEngine.GradientOrZero(outputGradients[i], probes[layers[i]]);

            long samples = images.shape[0];
            var parts = plan.Select(step =>
            {
                var (segment, owner, isWeight) = step;
                if (!gradientOf.TryGetValue(owner, out var outputGradient)) // layer never ran: no part in the loss
                    return zeros(samples, segment.Length, device: images.device);
                var perSample = PerSampleGradient(owner, isWeight, inputs[owner], outputGradient);
                return layout.Reduce(segment, perSample);
            }).ToArray();
            return cat(parts, 1).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var remover in removers) remover.remove();
            foreach (var tensor in inputs.Values.Concat(probes.Values)) tensor.Dispose();
        }
    }

    static Tensor PerSampleGradient(nn.Module owner, bool isWeight, Tensor input, Tensor outputGradient)
    {
        long samples = input.shape[0];
        switch (owner)
        {
            case Conv2d conv when isWeight:
            {
                // ∂L_n/∂W[o, i, a, b] = Σ_yx ∂L_n/∂out[n, o, y, x] · x_pad[n, i, y·s + a·d, x·s + b·d]: gather the
                // patches with a strided view (much faster than libtorch's unfold on CPU), one copy, one bmm.
                long channels = input.shape[1], kh = conv.kernel_size[0], kw = conv.kernel_size[1];
                long outHeight = outputGradient.shape[2], outWidth = outputGradient.shape[3];
                var padded = nn.functional.pad(input, [conv.padding![1], conv.padding[1], conv.padding[0], conv.padding[0]]).contiguous();
                long height = padded.shape[2], width = padded.shape[3];
                var patches = padded.as_strided(
                    [samples, outHeight, outWidth, channels, kh, kw],
                    [channels * height * width, width * conv.stride[0], conv.stride[1], height * width, width * conv.dilation[0], conv.dilation[1]]);
                var columns = patches.reshape(samples, outHeight * outWidth, channels * kh * kw); // [N, L, in*kh*kw], contiguous copy
                return bmm(outputGradient.reshape(samples, conv.out_channels, outHeight * outWidth), columns); // [N, out, in*kh*kw]
            }
            case Conv2d conv:
                return outputGradient.sum([2, 3]);
            case BatchNorm2d norm when isWeight:
            {
                var normalised = (input - norm.running_mean!.reshape(1, -1, 1, 1)) / (norm.running_var!.reshape(1, -1, 1, 1) + norm.eps).sqrt();
                return (outputGradient * normalised).sum([2, 3]);
            }
            case BatchNorm2d:
                return outputGradient.sum([2, 3]);
            case Linear when isWeight:
                return bmm(outputGradient.unsqueeze(2), input.unsqueeze(1)); // [N, out, in]
            case Linear:
                return outputGradient;
            default:
                throw new InvalidOperationException($"unsupported layer {owner.GetType().Name}");
        }
    }
}
