"""The reference for nn::Unet: segmentation_models_pytorch's Unet(encoder_name="resnet34",
encoder_weights=None, in_channels=3, classes=1), rebuilt from torchvision's ResNet (which smp's
ResNetEncoder subclasses, dropping avgpool and fc) and smp's UnetDecoder / SegmentationHead source, for
machines without smp. Same module tree, so the same state_dict keys.

  smp_unet_reference.py keys                     print every state_dict key and shape
  smp_unet_reference.py export DIR               seeded model with trained BN statistics, an input and its
                                                 output -> DIR/{model,io}.safetensors
  smp_unet_reference.py check DIR                load DIR/model.safetensors, run DIR/io.safetensors' input,
                                                 compare with its output; exit 1 if they differ
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import safetensors_stdlib  # noqa: E402


class ResNetEncoder(torchvision.models.resnet.ResNet):
    def __init__(self):
        super().__init__(block=torchvision.models.resnet.BasicBlock, layers=[3, 4, 6, 3])
        del self.fc
        del self.avgpool

    def forward(self, x):
        features = [x]
        x = self.relu(self.bn1(self.conv1(x)))
        features.append(x)
        x = self.maxpool(x)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
            features.append(x)
        return features


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class DecoderBlock(nn.Module):
    def __init__(self, cin, skip, cout):
        super().__init__()
        self.conv1 = conv_bn_relu(cin + skip, cout)
        self.attention1 = nn.Identity()
        self.conv2 = conv_bn_relu(cout, cout)
        self.attention2 = nn.Identity()

    def forward(self, x, skip=None):
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        if skip is not None:
            x = self.attention1(torch.cat([x, skip], dim=1))
        return self.attention2(self.conv2(self.conv1(x)))


class UnetDecoder(nn.Module):
    def __init__(self, encoder_channels=(3, 64, 64, 128, 256, 512), decoder_channels=(256, 128, 64, 32, 16)):
        super().__init__()
        channels = encoder_channels[1:][::-1]
        ins = [channels[0]] + list(decoder_channels[:-1])
        skips = list(channels[1:]) + [0]
        self.center = nn.Identity()
        self.blocks = nn.ModuleList(DecoderBlock(i, s, o) for i, s, o in zip(ins, skips, decoder_channels))

    def forward(self, *features):
        features = features[1:][::-1]
        x = self.center(features[0])
        for i, block in enumerate(self.blocks):
            x = block(x, features[i + 1] if i + 1 < len(features) else None)
        return x


class Unet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ResNetEncoder()
        self.decoder = UnetDecoder()
        self.segmentation_head = nn.Sequential(nn.Conv2d(16, 1, 3, padding=1), nn.Identity(), nn.Identity())

    def forward(self, x):
        return self.segmentation_head(self.decoder(*self.encoder(x)))


def seeded_model():
    torch.manual_seed(7)
    model = Unet()
    model.train()
    with torch.no_grad():  # give batch norm statistics that are not the defaults
        for _ in range(3):
            model(torch.rand(2, 3, 64, 64) * 2 - 0.5)
    return model.eval()


def main(argv):
    if argv[1] == "keys":
        for name, tensor in Unet().state_dict().items():
            print(name, "x".join(str(d) for d in tensor.shape) or "scalar")
    elif argv[1] == "export":
        model = seeded_model()
        x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            y = model(x)
        safetensors_stdlib.save(argv[2] + "/model.safetensors", model.state_dict())
        safetensors_stdlib.save(argv[2] + "/io.safetensors", {"input": x, "output": y})
    elif argv[1] == "check":
        model = Unet()
        model.load_state_dict(safetensors_stdlib.load(argv[2] + "/model.safetensors"), strict=True)
        model.eval()
        io = safetensors_stdlib.load(argv[2] + "/io.safetensors")
        with torch.no_grad():
            y = model(io["input"])
        error = (y - io["output"]).abs().max().item()
        print(f"max abs difference {error:.3g}")
        return 0 if error < 1e-4 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
