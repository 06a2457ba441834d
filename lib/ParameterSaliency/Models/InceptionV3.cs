using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ParameterSaliency.Models;

/// <summary>
/// torchvision's Inception-v3 (Szegedy et al., 2016) with its names and parameter order, auxiliary head
/// included (<c>AuxLogits</c>, registered between <c>Mixed_6e</c> and <c>Mixed_7a</c> as torchvision does), so
/// the authors' statistics and torchvision's weights line up filter by filter. One of the paper's four
/// ImageNet models. In eval mode the auxiliary head does not run: its parameters take no part in the loss
/// and their saliency is zero. Expects 299x299 inputs; no in-place operations.
/// </summary>
public sealed class InceptionV3 : nn.Module<Tensor, Tensor>
{
    private readonly BasicConv2d Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3;
    private readonly MaxPool2d maxpool1;
    private readonly BasicConv2d Conv2d_3b_1x1, Conv2d_4a_3x3;
    private readonly MaxPool2d maxpool2;
    private readonly InceptionA Mixed_5b, Mixed_5c, Mixed_5d;
    private readonly InceptionB Mixed_6a;
    private readonly InceptionC Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e;
    private readonly InceptionAux AuxLogits;
    private readonly InceptionD Mixed_7a;
    private readonly InceptionE Mixed_7b, Mixed_7c;
    private readonly AdaptiveAvgPool2d avgpool;
    private readonly Dropout dropout;
    private readonly Linear fc;

    /// <summary>Inception-v3 for <paramref name="numClasses"/> classes and <paramref name="inChannels"/> input channels.</summary>
    /// <param name="numClasses">Classes of <c>fc</c> and of the auxiliary head (1000 for ImageNet).</param>
    /// <param name="inChannels">Input channels C (3 for RGB).</param>
    public InceptionV3(int numClasses = 1000, int inChannels = 3) : base("inception_v3")
    {
        Conv2d_1a_3x3 = new BasicConv2d(inChannels, 32, (3, 3), stride: 2);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, (3, 3));
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, (3, 3), padding: (1, 1));
        maxpool1 = nn.MaxPool2d(3, stride: 2);
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, (1, 1));
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, (3, 3));
        maxpool2 = nn.MaxPool2d(3, stride: 2);
        Mixed_5b = new InceptionA(192, 32);
        Mixed_5c = new InceptionA(256, 64);
        Mixed_5d = new InceptionA(288, 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, 128);
        Mixed_6c = new InceptionC(768, 160);
        Mixed_6d = new InceptionC(768, 160);
        Mixed_6e = new InceptionC(768, 192);
        AuxLogits = new InceptionAux(768, numClasses);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);
        avgpool = nn.AdaptiveAvgPool2d(1);
        dropout = nn.Dropout(0.5);
        fc = nn.Linear(2048, numClasses);
        RegisterComponents();
    }

    /// <summary>Logits for a batch [N, C, 299, 299]. The auxiliary head never runs here (torchvision runs it only in training, for its extra loss).</summary>
    /// <param name="input">Images x [N, C, 299, 299], model-ready (normalised).</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = maxpool1.call(Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(input))));
        x = maxpool2.call(Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(x)));
        x = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(x)));
        x = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(Mixed_6a.call(x)))));
        x = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(x)));
        return fc.call(dropout.call(avgpool.call(x)).flatten(1)).MoveToOuterDisposeScope();
    }
}
