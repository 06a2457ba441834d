using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>torchvision's EncoderBlock: x + attention(ln_1(x)), then + mlp(ln_2(·)) with an exact GELU (eval: no dropout).</summary>
internal sealed class VitEncoderBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm ln_1;
    readonly SelfAttention self_attention;
    readonly LayerNorm ln_2;
    readonly Sequential mlp;

    public VitEncoderBlock(int hidden, int heads, int mlpDim) : base("EncoderBlock")
    {
        ln_1 = nn.LayerNorm(hidden, eps: 1e-6);
        self_attention = new SelfAttention(hidden, heads);
        ln_2 = nn.LayerNorm(hidden, eps: 1e-6);
        mlp = nn.Sequential(("0", nn.Linear(hidden, mlpDim)), ("1", nn.GELU()), ("2", nn.Dropout(0)), ("3", nn.Linear(mlpDim, hidden)), ("4", nn.Dropout(0)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = self_attention.call(ln_1.call(input)) + input;
        return (x + mlp.call(ln_2.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>torchvision's Encoder: adds <c>pos_embedding</c>, runs <c>layers.encoder_layer_i</c>, ends with <c>ln</c>.</summary>
internal sealed class VitEncoder : nn.Module<Tensor, Tensor>
{
    readonly Parameter pos_embedding;
    readonly Sequential layers;
    readonly LayerNorm ln;

    public VitEncoder(VitConfig config) : base("Encoder")
    {
        pos_embedding = new Parameter(empty(1, config.SequenceLength, config.Hidden));
        using (no_grad()) nn.init.normal_(pos_embedding, std: 0.02);
        layers = nn.Sequential(Enumerable.Range(0, config.Layers)
            .Select(i => ($"encoder_layer_{i}", (nn.Module<Tensor, Tensor>)new VitEncoderBlock(config.Hidden, config.Heads, config.MlpDim))).ToArray());
        ln = nn.LayerNorm(config.Hidden, eps: 1e-6);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        return ln.call(layers.call(tokens + pos_embedding)).MoveToOuterDisposeScope();
    }
}
