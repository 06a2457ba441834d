using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// The sizes of a Vision Transformer as torchvision's <c>VisionTransformer</c> takes them.
/// </summary>
/// <param name="ImageSize">Side of the square input image, in pixels; a multiple of <paramref name="PatchSize"/>.</param>
/// <param name="PatchSize">Side of a patch: the stride and kernel of <c>conv_proj</c>.</param>
/// <param name="Layers">Encoder blocks.</param>
/// <param name="Heads">Attention heads per block; they must divide <paramref name="Hidden"/>.</param>
/// <param name="Hidden">Width of a token (torchvision's hidden_dim).</param>
/// <param name="MlpDim">Width of each block's MLP.</param>
/// <param name="Classes">Outputs of <c>heads.head</c>.</param>
/// <param name="InChannels">Input channels (3 in torchvision, where it is fixed).</param>
/// <param name="Name">The model's name (torchvision's for the named sizes).</param>
public sealed record VitConfig(int ImageSize, int PatchSize, int Layers, int Heads, int Hidden, int MlpDim, int Classes = 1000, int InChannels = 3, string Name = "vit")
{
    /// <summary>Units of its neuron-wise profile (SPEC §8): the patch filters, and per block the rows of in_proj_weight (3D), out_proj (D), mlp.0 (M) and mlp.3 (D); the head is left out.</summary>
    public long Neurons => Hidden + (long)Layers * (5L * Hidden + MlpDim);

    /// <summary>Attention heads of all blocks: the units of its head-wise profile.</summary>
    public long HeadCount => (long)Layers * Heads;

    /// <summary>Tokens per image: the patches and the class token.</summary>
    public int SequenceLength => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;

    /// <summary>torchvision's named sizes (<c>vit_b_16</c>, <c>vit_b_32</c>, <c>vit_l_16</c>, <c>vit_l_32</c>, <c>vit_h_14</c>) at 224x224.</summary>
    /// <param name="name">One of the five names.</param>
    /// <param name="classes">Outputs of the head.</param>
    /// <param name="inChannels">Input channels.</param>
    public static VitConfig Named(string name, int classes = 1000, int inChannels = 3) => name switch
    {
        "vit_b_16" => new(224, 16, 12, 12, 768, 3072, classes, inChannels, name),
        "vit_b_32" => new(224, 32, 12, 12, 768, 3072, classes, inChannels, name),
        "vit_l_16" => new(224, 16, 24, 16, 1024, 4096, classes, inChannels, name),
        "vit_l_32" => new(224, 32, 24, 16, 1024, 4096, classes, inChannels, name),
        "vit_h_14" => new(224, 14, 32, 16, 1280, 5120, classes, inChannels, name),
        _ => throw new ArgumentException($"Unknown Vision Transformer size '{name}'. Known: vit_b_16, vit_b_32, vit_l_16, vit_l_32, vit_h_14."),
    };

    /// <summary>
    /// The second embedded model's size, for 28x28 Fashion-MNIST: patch 4 (49 tokens and the class token), width 64,
    /// 6 blocks of 4 heads, MLP 128.
    /// </summary>
    /// <param name="classes">Outputs of the head.</param>
    /// <param name="inChannels">Input channels.</param>
    public static VitConfig Tiny(int classes = 10, int inChannels = 1) => new(28, 4, 6, 4, 64, 128, classes, inChannels, "vit-tiny");

    /// <summary>The names of <see cref="Named"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"];

    /// <summary>
    /// The sizes of the Vision Transformer whose state dict is <paramref name="weights"/>: width, patch and input channels
    /// from <c>conv_proj.weight</c>, blocks from the <c>encoder_layer_i</c> keys, MLP width from the first block's first
    /// MLP layer, image size from <c>encoder.pos_embedding</c>, classes from <c>heads.head.weight</c>. The number of heads
    /// cannot be read from weights, so it is <paramref name="heads"/>.
    /// </summary>
    /// <param name="weights">State-dict tensors by torchvision's names (either MLP spelling).</param>
    /// <param name="heads">Attention heads per block; null: an error saying to give them.</param>
    /// <param name="source">Where the weights came from, for the error messages.</param>
    public static VitConfig FromWeights(IReadOnlyDictionary<string, Tensor> weights, int? heads, string source)
    {
        Tensor Get(string name) => weights.TryGetValue(name, out var tensor) ? tensor
            : throw new InvalidDataException($"{source} has no '{name}': not the weights of a torchvision VisionTransformer?");
        var patches = Get("conv_proj.weight");
        var positions = Get("encoder.pos_embedding");
        var head = Get("heads.head.weight");
        int layers = weights.Keys.Select(key => System.Text.RegularExpressions.Regex.Match(key, @"^encoder\.layers\.encoder_layer_(\d+)\."))
            .Where(match => match.Success).Select(match => int.Parse(match.Groups[1].Value) + 1).DefaultIfEmpty(0).Max();
        var mlp = weights.TryGetValue("encoder.layers.encoder_layer_0.mlp.0.weight", out var current) ? current : Get("encoder.layers.encoder_layer_0.mlp.linear_1.weight");
        int patch = (int)patches.shape[2], side = (int)Math.Round(Math.Sqrt(positions.shape[1] - 1));
        if (side * side != positions.shape[1] - 1)
            throw new InvalidDataException($"{source}: encoder.pos_embedding has {positions.shape[1]} positions, not a square grid of patches and the class token.");
        if (heads is null)
            throw new ArgumentException($"{source}: the number of attention heads cannot be read from a Vision Transformer's weights: give it (--heads N; vit_b_*: 12, vit_l_* and vit_h_14: 16).");
        var config = new VitConfig(side * patch, patch, layers, heads.Value, (int)patches.shape[0], (int)mlp.shape[0], (int)head.shape[0], (int)patches.shape[1]);
        config.Validate();
        return config;
    }

    /// <summary>
    /// <paramref name="weights"/> with the older MLP spelling of torchvision's EncoderBlock (<c>mlp.linear_1</c>,
    /// <c>mlp.linear_2</c>) renamed to the current one (<c>mlp.0</c>, <c>mlp.3</c>); the same tensors.
    /// </summary>
    /// <param name="weights">State-dict tensors by name.</param>
    public static Dictionary<string, Tensor> CurrentNames(IReadOnlyDictionary<string, Tensor> weights) =>
        weights.ToDictionary(entry => entry.Key.Replace(".mlp.linear_1.", ".mlp.0.").Replace(".mlp.linear_2.", ".mlp.3."), entry => entry.Value);

    /// <summary>Throws when the sizes do not make a Vision Transformer.</summary>
    public void Validate()
    {
        if (ImageSize < 1 || PatchSize < 1 || ImageSize % PatchSize != 0)
            throw new ArgumentException($"The image size {ImageSize} must be a positive multiple of the patch size {PatchSize}.");
        if (Layers < 1 || Heads < 1 || Hidden < 1 || MlpDim < 1 || Classes < 1 || InChannels < 1)
            throw new ArgumentException($"Every size of a Vision Transformer must be positive: {this}.");
        if (Hidden % Heads != 0) throw new ArgumentException($"{Heads} heads do not divide the width {Hidden}.");
    }
}
