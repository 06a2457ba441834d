using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// torchvision's <c>VisionTransformer</c> in TorchSharp, with its parameter names and order (<c>class_token</c>,
/// <c>conv_proj</c>, <c>encoder.pos_embedding</c>, <c>encoder.layers.encoder_layer_i.{ln_1, self_attention, ln_2, mlp.0,
/// mlp.3}</c>, <c>encoder.ln</c>, <c>heads.head</c>), so that a <c>torch.save(model.state_dict())</c> of it loads. The
/// attention is written out (<see cref="SelfAttention"/>). Images [N, C, H, W] in, logits [N, classes] out, in eval mode.
/// </summary>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    readonly Parameter class_token;
    readonly Conv2d conv_proj;
    readonly VitEncoder encoder;
    readonly Sequential heads;

    /// <summary>Builds an untrained Vision Transformer of <paramref name="config"/>'s sizes.</summary>
    /// <param name="config">Image and patch size, blocks, heads, widths, classes and input channels.</param>
    public VisionTransformer(VitConfig config) : base(config.Name)
    {
        config.Validate();
        Config = config;
        class_token = new Parameter(zeros(1, 1, config.Hidden));
        conv_proj = nn.Conv2d(config.InChannels, config.Hidden, config.PatchSize, stride: config.PatchSize);
        encoder = new VitEncoder(config);
        heads = nn.Sequential(("head", nn.Linear(config.Hidden, config.Classes)));
        RegisterComponents();
        Saliency.ExactReference.Register(this, () => new VisionTransformer(config));
    }

    /// <summary>The sizes it was built with.</summary>
    public VitConfig Config { get; }

    /// <summary>Logits [N, classes] of images <paramref name="x"/> [N, C, H, W] of the configured size.</summary>
    /// <param name="x">Images [N, C, H, W], model-ready (normalised), H = W = <see cref="VitConfig.ImageSize"/>.</param>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[2] != Config.ImageSize || x.shape[3] != Config.ImageSize)
            throw new ArgumentException($"{Config.Name} takes images [N, {Config.InChannels}, {Config.ImageSize}, {Config.ImageSize}]; got [{string.Join(", ", x.shape)}].");
        using var scope = NewDisposeScope();
        long samples = x.shape[0];
        var patches = conv_proj.call(x).flatten(2).transpose(1, 2); // [N, S-1, D]
        var tokens = cat([class_token.expand(samples, -1, -1), patches], 1);
        var encoded = encoder.call(tokens);
        return heads.call(encoded.select(1, 0)).MoveToOuterDisposeScope();
    }
}
