"""Urgency rules: the project's own safety cases. 特急 recall on them must be 100 %.

Every case is written by the project (no resident messages are copied): plain, typo-ridden,
dialect (Chongqing: 屋头, 娃儿, 遭, 梭坡, 打捶, 没得) and indirect phrasings. After the first
set, six more batches were written as unseen phrasings and run before the rules saw them; the
rules then caught only 12/18, 20/25, 9/20, 9/20, 10/20 and 9/20 of them (69 of 123, 56 %) and
were widened until each batch passed. So 100 % here is recall on cases the rules were fitted to,
not a promise about phrasings nobody has written yet.
"""

from __future__ import annotations

import pytest

from knowledge.matching import normalize
from knowledge.pack import load_pack
from knowledge.urgency import UrgencyAssessor


@pytest.fixture(scope="module")
def assessor() -> UrgencyAssessor:
    return UrgencyAssessor(load_pack().urgency)


def level(assessor: UrgencyAssessor, text: str):
    return assessor.assess(normalize(text))


# (message, emergency lines that must be advised)
TEJI: list[tuple[str, set[str]]] = [
    # -- gas ------------------------------------------------------------------------------------
    ("好像有煤气味，不知道哪里漏了", {"119"}),
    ("楼道里一股天然气的味道，好冲", {"119"}),
    ("厨房天燃气味道很重，我不敢开灯", {"119"}),
    ("我家燃气管子在嘶嘶响，应该是漏气了", {"119"}),
    ("闻到煤汽味好大", {"119"}),
    ("隔壁屋头有股怪味，像是燃气泄露了", {"119"}),
    ("燃气报警器一直在响", {"119"}),
    ("楼下餐馆液化气罐漏了", {"119"}),
    ("屋里有股没气味，头有点晕", {"119"}),
    ("楼道有臭鸡蛋的味道", {"119"}),
    ("单元门口天然气管道被挖断了", {"119"}),
    ("邻居家煤气泄漏了，敲门没人应", {"119"}),
    ("燃气灶关了还是有气味，是不是漏气", {"119"}),
    ("老妈说家里天然气味道大得很", {"119"}),
    # -- fire and smoke -------------------------------------------------------------------------
    ("楼下着火了，好大的烟", {"119"}),
    ("对面楼冒烟了，好像是厨房起火", {"119"}),
    ("电动车在楼道里充电起火了", {"119"}),
    ("小区垃圾站烧起来了", {"119"}),
    ("隔壁门缝里往外冒黑烟，喊了没人答应", {"119"}),
    ("楼道里全是烟，看不清楚", {"119"}),
    ("商铺里面有火光，没有人", {"119"}),
    ("配电箱冒火花还有焦糊味", {"119"}),
    ("着伙了快来人", {"110"}),
    ("山上起火了，火势往房子这边来了", {"119"}),
    ("听到砰的一声，楼上好像爆炸了", {"119"}),
    ("家里插线板烧起来了", {"119"}),
    ("车库里一辆车自燃了", {"119"}),
    ("烟感报警响了，走廊有烧焦的味道", {"119"}),
    ("燃起来了燃起来了，快喊消防", {"119"}),
    # -- someone trapped ------------------------------------------------------------------------
    ("电梯突然停了，我和孩子被困在里面", {"119"}),
    ("电梯卡在两层中间，里面关了个老人", {"119"}),
    ("我被关在电梯头了，出不来", {"119"}),
    ("娃儿被反锁在屋里，大人不在家", {"119"}),
    ("孩子被锁在车里，车停在太阳底下", {"119"}),
    ("困到电梯里头半小时了", {"119"}),
    ("工地塌方有工人被埋", {"119"}),
    ("有人卡在护栏中间出不来", {"119"}),
    ("电梯困人 快来", {"119"}),
    ("电梯关到人了", {"119"}),
    # -- threatening to take their life ---------------------------------------------------------
    ("楼顶有个人站在边上要跳楼", {"110", "120"}),
    ("我不想活了", {"110", "120"}),
    ("邻居小伙子说要跳江，拦都拦不住", {"110", "120"}),
    ("我妈说活不下去了，一直哭", {"110", "120"}),
    ("有个人坐在大桥的栏杆上", {"110", "120"}),
    ("朋友吃了一整瓶安眠药", {"110", "120"}),
    ("他说要跳搂", {"110", "120"}),
    ("同事割腕了，流了好多血", {"110", "120"}),
    ("有个女的在江边哭，说要寻短见", {"110", "120"}),
    ("老公喝农药了", {"110", "120"}),
    # -- collapse -------------------------------------------------------------------------------
    ("后面的堡坎垮了，石头滚到路上", {"119"}),
    ("房子墙上的裂缝越来越大，感觉要倒了", {"119"}),
    ("隔壁工地的围墙倒了，砸到了人行道", {"119"}),
    ("山上梭坡了，泥巴冲到屋后面", {"119"}),
    ("小区门口路面塌陷出现一个大坑", {"119"}),
    ("楼上的阳台掉下来了", {"119"}),
    ("老房子要塌了，里面还住着人", {"119"}),
    ("脚手架倒了", {"119"}),
    ("广告牌被风吹得掉下来砸到车了", {"119"}),
    # -- flooding with people inside ------------------------------------------------------------
    ("暴雨水淹到膝盖了，老人出不去", {"119"}),
    ("地下室进水，里面还有人", {"119"}),
    ("河水涨起来把路淹了，有车被困", {"119"}),
    ("山洪下来了", {"119"}),
    ("家里被淹了，水已经到床边了", {"119"}),
    ("屋头遭水淹了，老汉出不来", {"119"}),
    # -- live wires -----------------------------------------------------------------------------
    ("大风把电线吹断了掉在地上", {"119"}),
    ("路边电线杆倒了，电线拖在地上还在冒火花", {"119"}),
    ("小区路灯杆漏电，狗被电到了", {"119"}),
    ("高压线断了垂下来", {"119"}),
    ("有个小孩触电了", {"119"}),
    # -- violence -------------------------------------------------------------------------------
    ("楼下有人打架，还拿着刀", {"110"}),
    ("隔壁在打老婆，一直在喊救命", {"110"}),
    ("有个男的拿菜刀在街上追人", {"110"}),
    ("我被人打了，现在还在追我", {"110"}),
    ("有人在撬我家门", {"110"}),
    ("他扬言要杀了我全家", {"110"}),
    ("几个人在小区门口打捶", {"110"}),
    ("有人抢包，往建新北路跑了", {"110"}),
    ("我老公喝醉了要打我，我躲在厕所", {"110"}),
    ("楼下那家人在打娃儿，娃儿哭得好惨", {"110"}),
    ("有人遭砍了", {"110"}),
    # -- missing child or elder -----------------------------------------------------------------
    ("孩子放学没回家，电话也打不通", {"110"}),
    ("我爸有老年痴呆，早上出门走丢了", {"110"}),
    ("娃儿在超市门口不见了", {"110"}),
    ("三岁女儿在广场走失了", {"110"}),
    ("孙子被一个陌生人抱走了", {"110"}),
    # -- medical --------------------------------------------------------------------------------
    ("有个老人在公交站晕倒了", {"120"}),
    ("我爸突然说不出话，半边身子动不了", {"120"}),
    ("邻居老太太摔倒了起不来", {"120"}),
    ("小孩吃了东西口吐白沫", {"120"}),
    ("好多人吃了食堂的饭上吐下泻", {"120"}),
    ("老人胸口痛得厉害，喘不上气", {"120"}),
    ("被开水烫伤了一大片", {"120"}),
    ("家里老人好像没气了", {"120"}),
    # -- traffic, falls, drowning ---------------------------------------------------------------
    ("路口车祸，有人躺在地上不动", {"120", "110"}),
    ("一辆货车把骑电瓶车的撞了，流了好多血", {"120"}),
    ("工地上有人从架子上摔下来了", {"120"}),
    ("有小孩掉进河里了", {"120", "119"}),
    ("有人落水了，在江边", {"120", "119"}),
    ("楼上掉花盆砸到人了", {"120"}),
    ("工人从楼上掉下来了", {"120"}),
    # -- elders living alone, chemicals, cries for help ------------------------------------------
    ("楼上独居的老太太好几天没出门了，敲门没人应", {"110"}),
    # the everyday "吵死人了" beside a real death: the death still counts
    ("吵死人了，隔壁屋里死人了好几天都没人晓得", {"110"}),
    ("对门一个人住的老爷子三天没见人，门口有臭味", {"110"}),
    ("路上一辆罐车翻了，在漏一种刺鼻的液体", {"119"}),
    ("工厂氨气泄漏，好多人在咳嗽", {"119"}),
    ("救命！", {"110"}),
    ("快来人啊", {"110"}),
    # -- first written as unseen phrasings; missed at first, then the rules were widened --------
    ("楼下冒起好大一股烟", {"119"}),
    ("家里燃气灶旁边一直有嘶嘶的声音", {"119"}),
    ("电梯里有人出不来，按铃没人理", {"119"}),
    ("隔壁两口子打得头破血流", {"110"}),
    ("下大雨家里水越来越深了，我妈腿脚不好走不了", {"119"}),
    ("我儿子两个小时前说要去死", {"110", "120"}),
    ("天然气表那里有气味", {"119"}),
    # -- a second batch written after tuning (20 of 25 were 特急 at first; now all) ---------------
    ("厨房里一股怪怪的煤气的气味", {"119"}),
    ("楼道的电表箱烧起来了", {"119"}),
    ("对面山上冒起了浓烟", {"119"}),
    ("我家孩子被卡在电梯门缝里了", {"119"}),
    ("有个大爷躺在路边叫不醒", {"120"}),
    ("小区门口两伙人在互殴", {"110"}),
    ("我朋友发消息说不想活下去了", {"110", "120"}),
    ("屋后的山坡在往下垮", {"119"}),
    ("一楼已经进水了，老人还在里面", {"119"}),
    ("电线断了掉进水坑里", {"119"}),
    ("有人拿砖头砸人", {"110"}),
    ("我家娃儿找不到了，一个多小时了", {"110"}),
    ("楼上那家烟雾报警器一直响还有烟味", {"119"}),
    ("工厂那边砰的一声炸了", {"119"}),
    ("孩子从二楼摔下来了", {"120"}),
    ("老公拿刀说要砍死我", {"110"}),
    ("燃气管被挖掘机挖破了", {"119"}),
    ("有人被困在垮塌的房子里", {"119"}),
    ("路上有人被车撞了躺着不动", {"110", "120"}),
    ("隔壁有烧焦的塑料味还冒烟", {"119"}),
    ("有个女孩子站在江边栏杆外面", {"110", "120"}),
    ("家里天然气泄漏报警器在叫", {"119"}),
    ("邻居老头一个人住，一个星期没见到了", {"110"}),
    ("厕所里有人晕过去了", {"120"}),
    ("小区里有人打老人", {"110"}),
    # -- a third batch, more indirect (9 of 20 were 特急 at first; now all) ------------------------
    ("闻到好重的一股天然气", {"119"}),
    ("隔壁家窗户里往外冒火", {"119"}),
    ("车库里电瓶车炸了还在烧", {"119"}),
    ("电梯掉下去了里面有人", {"119", "120"}),
    ("我婆婆在浴室摔倒了爬不起来", {"120"}),
    ("有个醉汉拿酒瓶子打人", {"110"}),
    ("我姐说她活着没意思想跳下去", {"110", "120"}),
    ("这栋楼的墙裂开了还在响", {"119"}),
    ("河边有个小孩在水里扑腾", {"119", "120"}),
    ("配电房冒黑烟还有噼啪的声音", {"119"}),
    ("前面路口翻了一辆车有人受伤", {"110", "120"}),
    ("有几个人在我店里砸东西还打人", {"110"}),
    ("我爸心脏不舒服脸色发白出冷汗", {"120"}),
    ("小孩误吃了药现在吐了", {"120"}),
    ("有个老人在楼顶边上坐着一直哭", {"110", "120"}),
    ("地下通道被水灌满了有人困在里面", {"119"}),
    ("邻居家里传出呼救声", {"110"}),
    ("工地的塔吊歪了快倒下来了", {"119"}),
    ("家里闻到刺鼻的煤气", {"119"}),
    ("楼下有人持刀抢劫", {"110"}),
    # -- a fourth batch (9 of 20 were 特急 at first; now all) --------------------------------------
    ("楼上一直往下滴水，顶上的灯在冒火花", {"119"}),
    ("我家隔壁天天吵架，刚才听见砸东西和女人在哭喊", {"110"}),
    ("开门就闻到一股很冲的气，像是天然气", {"119"}),
    ("有个人倒在楼梯口，怎么喊都不答应", {"120"}),
    ("山坡上的石头一直往下滚，下面就是住户", {"119"}),
    ("车子掉进江里了", {"119", "120"}),
    ("地铁站里有人突然倒地抽筋", {"120"}),
    ("学校门口有个人拿着棍子追学生", {"110"}),
    ("我家老太太三天没接电话了，她一个人住", {"110", "120"}),
    # the elder named before "一个人住", and signs said in everyday words (15th session)
    ("对门的婆婆一个人住 这两天都没看到她", {"110"}),
    ("我爸一个人在老家 电话一直打不通", {"110"}),
    ("楼上独居老人家门口一股怪味 敲门也不应", {"110", "120"}),
    ("电动车电池在鼓包冒白烟", {"119"}),
    ("厂里有人手被机器卷进去了", {"120"}),
    ("她说吃了很多药，现在叫不太醒", {"120"}),
    ("楼下小卖部着起来了", {"119"}),
    ("商场里面有人被刺伤了", {"110"}),
    ("外面暴雨，隧道里好多车被水淹了出不来", {"119"}),
    ("屋头煤气好像没关，味道好大", {"119"}),
    ("有个小朋友被关在车里哭", {"119"}),
    ("路灯杆倒在马路中间，还在冒火星", {"119"}),
    ("小区里有人从楼上跳下来了", {"110", "120"}),
    ("一个老人在河边走着走着就不见了", {"110"}),
    # -- a fifth batch (10 of 20 were 特急 at first; now all) --------------------------------------
    ("厨房烧水忘关火，锅烧干了冒烟", {"119"}),
    ("隔壁老两口家里一股煤气味敲门没人开", {"119"}),
    ("小孩把头卡在栏杆里拔不出来", {"119"}),
    ("我被几个人围着要钱不给就打", {"110"}),
    ("外卖小哥被车撞飞了", {"110", "120"}),
    ("我爸喝了酒倒在马路上", {"120"}),
    ("江边有个人一直往水里走", {"110", "120"}),
    ("对面楼顶上有人在往下扔东西砸到行人了", {"119", "120"}),
    ("暴雨把围墙冲垮了压到了车", {"119"}),
    ("他在群里说今晚就结束一切", {"110", "120"}),
    ("家里老人突然抽搐口吐白沫", {"120"}),
    ("有人在加油站抽烟打火", {"119"}),
    ("楼下停车场一辆车起火烧到旁边的车了", {"119"}),
    ("孩子发高烧抽筋了", {"120"}),
    ("一个男的把老婆锁在屋里打", {"119"}),
    ("仓库里堆的化工原料在冒烟有怪味", {"119"}),
    ("老人走丢了，穿灰色衣服", {"110"}),
    ("有人在楼道里泼汽油", {"110"}),
    ("燃气灶的管子脱落了", {"119"}),
    ("孩子被狗咬得很严重，流了很多血", {"120"}),
    # -- a sixth batch (9 of 20 were 特急 at first; now all) ---------------------------------------
    ("楼道里的电线一直噼里啪啦响还有火星子", {"119"}),
    ("我在电梯里，电梯突然往下掉了一截，门打不开", {"119"}),
    ("一个小孩在马路中间乱跑，车很多", {"110"}),
    ("隔壁装修把承重墙砸了，楼上的墙都裂了", {"119"}),
    ("有人在我家门口放火", {"110", "119"}),
    ("我老婆生孩子羊水破了", {"120"}),
    ("有个老人被困在着火的房子里", {"119"}),
    ("她被男朋友打得满脸是血", {"110"}),
    ("好多人围着一个人在打", {"110"}),
    ("整个单元都是煤气的臭味", {"119"}),
    ("河堤垮了，水正往村子里冲", {"119"}),
    ("有人喝醉了开着车在小区里乱撞", {"110", "120"}),
    ("我妈心脏病犯了家里没人", {"120"}),
    ("楼下餐馆的液化气罐着火了", {"119"}),
    ("邻居说要拿刀来砍我们家", {"110"}),
    ("有个小孩掉到化粪池里了", {"119", "120"}),
    ("桥下面有个人躺着一动不动", {"120"}),
    ("我家孩子吞了一颗纽扣电池", {"120"}),
    ("大风把楼顶的铁皮吹下来砸到人了", {"119", "120"}),
    ("我不想活了，太累了", {"110", "120"}),
    # -- a relative reporting from afar (product review): the reporter being away (在外地,
    # 在上班, 不在家) says nothing about the danger at home; these must never be read as hearsay
    ("我爸八十几岁了在屋头摔了一跤爬不起来，我在外地打工，打他电话也不接", {"120"}),
    ("我在外地打工，我妈一个人在家摔倒了起不来，麻烦派人去看看", {"120"}),
    ("我人在外地，视频看到我爸倒在厕所地上不动，快找人去", {"120"}),
    ("我在外面打工 我妈打电话说胸口痛得很 喘不上气 她一个人在屋头", {"120"}),
    ("我在上班走不开，我奶奶在家晕倒了，邻居说喊不答应", {"120"}),
    ("我不在家，我爸说家里煤气味好大，他腿脚不方便", {"119"}),
    ("我在外地出差，我爸妈屋头一股天然气味道，打电话叫他们也不晓得关", {"119"}),
    ("我在外省工作，我妈三天没接电话了，她一个人住", {"110"}),
    ("我常年在外地，老家的老父亲独居，邻居说好几天没见他开门了", {"110"}),
    ("我在外面上班 屋头老人打电话说闻到燃气味 我好担心", {"119"}),
    ("我在外地 老汉给我打过电话说摔倒了起不来 后面就打不通了", {"120"}),
    ("我不在重庆，我爸刚才发消息说胸口疼得厉害，现在联系不上", {"120"}),
    ("我在外地读书 我外婆一个人在家 摔了一跤爬不起来", {"120"}),
    ("我在单位加班，我妈说家里冒烟了，电话那头一直咳", {"119"}),
    ("儿子在外地打工 家里只有八十岁老母亲 听邻居说她倒在门口不动", {"120"}),
    ("我在外地，我爸有心脏病，他说心口痛，打120他不会说地址", {"120"}),
    ("我出差在外面，爷爷一个人在家好像中风了，说话口齿不清半边身子动不了", {"120"}),
    ("我在外地上班 我爸独居 两天没接电话了 敲门也没人应", {"110"}),
    ("隔壁屋头一股怪味道，臭鸡蛋那种，越来越大", {"119"}),
    # a worry word before a danger told as happening is a report, not a worry (product review)
    ("我担心楼下着火了", {"119"}),
    ("我好担心，老人被困在电梯里了，打电话没人接", {"119"}),
    ("怕是着火了，楼道里全是烟", {"119"}),
    ("好害怕 隔壁煤气泄漏了", {"119"}),
    # follow-ups while waiting for help
    ("咋个还没得人来 我爸还在地上", {"120"}),
    ("还没人来，我妈一直躺在地上起不来", {"120"}),
    ("老汉还趴在地上，喊他只哼哼", {"120"}),
]

JINJI = [
    "我们小区停水两天了",
    "整栋楼停电了，冰箱东西都坏了",
    "从昨天开始没得水用",
    "燃气停了没法做饭",
    "电梯坏了一个星期，老人下不了楼",
    "化粪池堵了，污水冒到路上",
    "下水道返水，一楼全是粪水",
    "我们三十几个工人的工资半年没发了",
    "工地老板跑了，欠我们农民工工资",
    "小区门口井盖丢了，晚上很危险",
    "路边大树倒了挡住了路",
    # a danger that has passed, is feared, is a drill or keeps happening: 紧急, never 一般
    "电动车在楼道充电，担心起火",
    "楼道堆满纸箱，担心会着火了怎么办",
    "电线老化，我怕起火",
    "楼下着火了，已经扑灭了",
    "前天电梯困人，已经救出来了",
    "消防演练的时候楼道里冒烟",
    "路口经常出车祸，建议装红绿灯",
    # the marker inside a pattern's own words ("电梯 … 困人" with 经常 between)
    "小区电梯经常困人，物业不管",
    "这个电梯老是关人，投诉几次了",
    # ...or after the danger, in its clause, or how long it has been left
    "小区电梯关人了好几次了 物业不管",
    "那个路段垮塌到现在还没修好",
    "路口那场车祸一年了也没人给个说法",
    "燃气管道老化，迟早要漏气",
    # an urgent tone with no named danger: someone checks within the day
    "楼下出大事了，快点来人看看",
    # an overflowing septic tank "臭死人了": sewage (紧急), not a death
    "我们院坝头那个化粪池满了，到处冒，臭死人了",
]

YIBAN = [
    "路灯坏了",
    # a danger's word inside another (贫困人口 holds 困人), trees felled, fees forced on people
    "镇里卡扣贫困人口的补助",
    "小区的树被砍光了",
    "景区绑架收费 不买套票不让进",
    "私立医院的救护车乱收费",
    "烧烤油烟大",
    "楼上装修太吵了",
    "小区门口乱停车",
    "垃圾好几天没人清运",
    "广场舞噪音扰民",
    "请问社保怎么补缴",
    "建议增设一个公交站",
    "燃气费怎么这么贵",
    "我快被物业气炸了",
    "商场跳楼价大甩卖的喇叭太吵",
    "没有闻到煤气味，只是想问燃气公司电话",
    "邻居抽烟烟很大飘到我家",
    "被噪音打扰得睡不着",
    "天然气开户要多久",
    "火锅店排烟管道正对我家窗户",
    "我想咨询一下燃气报警器要不要强制安装",
    "小区消防通道被堵了",
    "手机信号差",
    "单位拖欠我一个月工资",
    "电费涨价了",
    "燃气灶打不着火是什么原因",  # 紧急 at most (gas supply), never 特急
    "工厂烟囱冒黑烟，污染严重",
    "这个事情把我急得想不通",
    "小孩还在地上玩，地板太凉了",
    "我在外地打工，想问一下社保怎么转过来",
    # "X死人了" says "terribly X": it was the welfare check's "死人了", 特急 with advice to
    # have the police break a door in (tenth session, found in the demo)
    "楼上装修吵死人了",
    "烦死人了，垃圾好几天没人收",
    "公交车上挤死人了",
    "这个天气热死人了",
]


def test_there_are_at_least_80_teji_cases() -> None:
    assert len(TEJI) >= 80


@pytest.mark.parametrize(("text", "lines"), TEJI, ids=[t for t, _ in TEJI])
def test_teji_case(assessor: UrgencyAssessor, text: str, lines: set[str]) -> None:
    result = level(assessor, text)
    assert result.level == "特急", result.findings
    assert lines <= set(result.calls), result.calls
    assert result.guidance, "a 特急 result tells the resident what to do meanwhile"


def test_teji_recall_is_100_percent(assessor: UrgencyAssessor) -> None:
    missed = [t for t, _ in TEJI if level(assessor, t).level != "特急"]
    recall = 1 - len(missed) / len(TEJI)
    assert recall == 1.0, missed


@pytest.mark.parametrize("text", JINJI)
def test_jinji_case(assessor: UrgencyAssessor, text: str) -> None:
    result = level(assessor, text)
    assert result.level == "紧急", result.findings
    assert result.calls == ()


@pytest.mark.parametrize("text", YIBAN)
def test_not_teji(assessor: UrgencyAssessor, text: str) -> None:
    assert level(assessor, text).level != "特急"


@pytest.mark.parametrize("text", [t for t in YIBAN if "打不着火" not in t])
def test_yiban_case(assessor: UrgencyAssessor, text: str) -> None:
    assert level(assessor, text).level == "一般"


def test_the_right_lines_for_the_case(assessor: UrgencyAssessor) -> None:
    assert level(assessor, "楼下着火了").calls == ("119",)
    assert level(assessor, "有人在小区门口打架").calls == ("110",)
    assert level(assessor, "有个老人晕倒了").calls == ("120",)
    # several dangers at once: every line needed, police first
    assert level(assessor, "楼下有人打架，有个人晕倒了").calls == ("110", "120")


def test_negated_danger_does_not_count(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "没有闻到煤气味")
    assert result.level == "一般"
    assert "煤气味" in result.negated


def test_a_question_is_not_a_negation(assessor: UrgencyAssessor) -> None:
    assert level(assessor, "是不是煤气泄漏了").level == "特急"
    assert level(assessor, "电梯坏了，有没有人被困不知道").level == "特急"


def test_softened_danger_says_why(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "楼下着火了，已经扑灭了")
    (finding,) = [f for f in result.findings if f.rule_id == "fire"]
    assert finding.level == "紧急"
    assert finding.softened == "resolved"


def test_one_live_danger_outweighs_softened_ones(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "刚才着火已经扑灭了，但是又冒烟了")
    assert result.level == "特急"


def test_threat_to_life_is_never_softened(assessor: UrgencyAssessor) -> None:
    # a worry marker before the words would soften a fire hazard, but never self-harm
    assert level(assessor, "我怕他要跳楼").level == "特急"
    assert level(assessor, "担心会着火").level == "紧急"


def test_long_account_of_past_violence_is_not_an_emergency_now(
    assessor: UrgencyAssessor,
) -> None:
    background = "我要反映拆迁补偿的问题，补偿标准一直没有公开，我们找了很多次都没有结果。" * 6
    letter = background + "当时他们动手打人，把我父亲打伤了。"
    assert level(assessor, letter).level == "紧急"
    # the same words with a sign that it is happening now stay 特急
    assert level(assessor, background + "现在他们正在打人").level == "特急"
    # and short messages are never treated as accounts of the past
    assert level(assessor, "他们动手打人了").level == "特急"


def test_findings_name_rule_and_words(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "好像有煤气味")
    (finding,) = result.findings
    assert finding.to_dict() == {"rule": "gas_leak", "label": "燃气泄漏", "level": "特急",
                                 "words": ["煤气味"]}


# -- what to do meanwhile, for 紧急 ------------------------------------------------------------


def test_a_burst_pipe_is_told_to_close_the_main_valve(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "家里水管爆了，水漫得到处都是")
    assert result.level == "紧急"
    assert any("水表总阀" in g for g in result.guidance)


def test_a_bite_is_told_to_wash_the_wound_not_to_lie_the_patient_down(
    assessor: UrgencyAssessor,
) -> None:
    """A dog that had bitten two children got the medical rule's advice (lie the patient down,
    clear their mouth): found walking through the demo."""
    result = level(assessor, "马路上有条大狗见人就咬，已经咬伤两个小孩了")
    assert result.level == "特急" and "120" in result.calls
    advice = "".join(result.guidance)
    assert "冲洗" in advice and "狂犬疫苗" in advice and "口鼻异物" not in advice


def test_a_power_cut_names_the_repair_line_for_medical_equipment(
    assessor: UrgencyAssessor,
) -> None:
    result = level(assessor, "我们小区停电一天了，老人用制氧机")
    assert result.level == "紧急"
    assert any("95598" in g for g in result.guidance)


def test_each_piece_of_advice_is_given_once(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "停水了，昨天就停水，今天还是没水用")
    assert len(result.guidance) == 1


def test_a_softened_danger_is_not_told_to_flee(assessor: UrgencyAssessor) -> None:
    # a worry about a fire is 紧急 for staff, but the resident is not told to leave the house
    result = level(assessor, "电动车在楼道充电，担心起火")
    assert result.level == "紧急"
    assert result.guidance == ()
    # a real 紧急 rule next to it still gives its own advice, and only that
    both = level(assessor, "担心会着火，而且楼里停电了")
    assert both.level == "紧急"
    assert len(both.guidance) == 1 and "95598" in both.guidance[0]


def test_no_advice_for_an_ordinary_complaint(assessor: UrgencyAssessor) -> None:
    result = level(assessor, "小区门口的路灯坏了三天了")
    assert result.level == "一般" and result.guidance == ()


def test_every_jinji_rule_but_the_alarm_words_has_advice() -> None:
    """Residents of a 紧急 slip are told what they can do meanwhile; a rule added without
    advice fails here (the alarm words only say the tone was urgent: nothing to advise)."""
    rules = [r for r in load_pack().urgency.rules if r.level == "紧急"]
    assert rules
    assert [r.id for r in rules if not r.advice] == ["alarm_words"]
